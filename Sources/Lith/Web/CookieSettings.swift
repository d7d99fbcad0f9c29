/// How Lith's cookies are named and flagged.
public struct CookieSettings: Sendable {
    /// For https deployments: `Secure` on every cookie and the `__Host-` prefix,
    /// which browsers only accept from https, for `Path=/`, with no `Domain`, so
    /// a sibling subdomain can't plant or overwrite the cookie.
    public let secure: Bool
    /// Made once: read on every request.
    public let sessionName: String
    public let csrfName: String
    public let flashName: String
    /// A reset link's token, moved out of the URL (``PasswordResets``).
    public let resetName: String

    public init(secure: Bool = false) {
        self.secure = secure
        let prefix = secure ? "__Host-" : ""
        self.sessionName = prefix + "lith_session"
        self.csrfName = prefix + "lith_csrf"
        self.flashName = prefix + "lith_flash"
        self.resetName = prefix + "lith_reset"
    }

    /// HttpOnly keeps scripts (and so XSS) away from the value; SameSite=Lax
    /// keeps it off cross-site POSTs as one more wall against CSRF; `Path=/`
    /// and no `Domain` (which `__Host-` requires). Without `maxAge` it is a
    /// browser-session cookie.
    public func cookie(_ name: String, value: String, maxAge: Int? = nil) -> SetCookie {
        SetCookie(name: name, value: value, lifetime: maxAge.map { .seconds($0) } ?? .browserSession, secure: secure)
    }

    /// A cookie that tells the browser to drop `name` now.
    public func expired(_ name: String) -> SetCookie {
        SetCookie(name: name, value: "", lifetime: .expired, secure: secure)
    }
}
