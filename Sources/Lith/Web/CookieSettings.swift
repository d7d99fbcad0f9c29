/// How Lith's cookies are named and flagged.
public struct CookieSettings: Sendable {
    /// For https deployments: `Secure` on every cookie and the `__Host-` prefix,
    /// which browsers only accept from https, for `Path=/`, with no `Domain`, so
    /// a sibling subdomain can't plant or overwrite the cookie.
    public var secure: Bool

    public init(secure: Bool = false) {
        self.secure = secure
    }

    private var prefix: String { secure ? "__Host-" : "" }
    public var sessionName: String { prefix + "lith_session" }
    public var csrfName: String { prefix + "lith_csrf" }
    public var flashName: String { prefix + "lith_flash" }

    /// HttpOnly keeps scripts (and so XSS) away from the value; SameSite=Lax
    /// keeps it off cross-site POSTs as one more wall against CSRF; `Path=/`
    /// and no `Domain` (which `__Host-` requires). Without `maxAge` it is a
    /// browser-session cookie.
    public func cookie(_ name: String, value: String, maxAge: Int? = nil) -> SetCookie {
        SetCookie(name: name, value: value, lifetime: maxAge.map { .seconds($0) } ?? .browserSession, secure: secure)
    }

    /// Carries `flash` to the next page the browser renders.
    public func flash(_ flash: Flash) -> SetCookie {
        cookie(flashName, value: flash.rawValue)
    }

    /// A cookie that tells the browser to drop `name` now.
    public func expired(_ name: String) -> SetCookie {
        SetCookie(name: name, value: "", lifetime: .expired, secure: secure)
    }
}
