import HTTPTypes

/// Header names Lith uses that HTTPTypes doesn't predefine.
extension HTTPField.Name {
    static let secFetchSite = HTTPField.Name("Sec-Fetch-Site")!
    /// Where scripts put the CSRF token instead of a form field.
    static let csrfToken = HTTPField.Name("X-CSRF-Token")!
    static let xContentTypeOptions = HTTPField.Name("X-Content-Type-Options")!
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
    static let strictTransportSecurity = HTTPField.Name("Strict-Transport-Security")!
}

extension ForwardedHeader {
    /// The header's name, for reading it from a request.
    var fieldName: HTTPField.Name {
        switch self {
        case .xForwardedFor: Self.xForwardedForName
        case .forwarded: Self.forwardedName
        }
    }

    private static let xForwardedForName = HTTPField.Name("X-Forwarded-For")!
    private static let forwardedName = HTTPField.Name("Forwarded")!
}
