import HTTPTypes
import HummingbirdTesting
import NIOCore

/// A response as a test sees it: status, headers, the body as text, and the
/// bits of HTML forms a test needs (CSRF token, hidden fields).
public struct TestPage: Sendable {
    public let status: HTTPResponse.Status
    public let headers: HTTPFields
    public let body: String

    public init(_ response: TestResponse) {
        self.status = response.status
        self.headers = response.headers
        self.body = String(buffer: response.body)
    }

    /// Where a redirect points, if this is one.
    public var location: String? { headers[.location] }

    public var isRedirect: Bool { (300..<400).contains(status.code) }

    /// Every `Set-Cookie` header of this response.
    public var setCookies: [String] { headers[values: .setCookie] }

    /// The `Set-Cookie` header for `name`, if this response sets it.
    public func setCookie(named name: String) -> String? {
        setCookies.first { $0.hasPrefix(name + "=") }
    }

    /// The HTML of the first `<form>` whose action is `action`.
    public func form(action: String) -> String? {
        var rest = body[...]
        while let start = rest.range(of: "<form") {
            guard let end = rest[start.upperBound...].range(of: "</form>") else { return nil }
            let form = rest[start.lowerBound..<end.upperBound]
            if form.contains("action=\"\(action)\"") { return String(form) }
            rest = rest[end.upperBound...]
        }
        return nil
    }

    /// The value of input `name` in the form posting to `action`.
    public func inputValue(_ name: String, inFormWithAction action: String) -> String? {
        guard let form = form(action: action) else { return nil }
        var rest = form[...]
        while let start = rest.range(of: "<input") {
            guard let end = rest[start.upperBound...].firstIndex(of: ">") else { return nil }
            let tag = rest[start.lowerBound...end]
            if tag.contains("name=\"\(name)\"") {
                guard let valueStart = tag.range(of: "value=\"") else { return "" }
                let valueEnd = tag[valueStart.upperBound...].firstIndex(of: "\"") ?? tag.endIndex
                return Self.unescape(String(tag[valueStart.upperBound..<valueEnd]))
            }
            rest = rest[tag.endIndex...]
        }
        return nil
    }

    /// The CSRF token in the form posting to `action`.
    public func csrfToken(forFormWithAction action: String) -> String? {
        inputValue("csrf_token", inFormWithAction: action)
    }

    private static func unescape(_ html: String) -> String {
        html.replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&#39;", with: "'")
            .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&amp;", with: "&")
    }
}

extension String {
    fileprivate func replacingOccurrences(of target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
