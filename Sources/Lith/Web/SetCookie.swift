import HTTPTypes

/// One `Set-Cookie` header line, ready to send.
///
/// Lith writes the line itself instead of going through Hummingbird's
/// `Cookie`, which files every attribute in a table and re-serialises it:
/// measured on the guest login page, that was a fifth of Lith's own work.
/// Not `CustomStringConvertible`: the line can carry a session token, which
/// must not end up in a log by accident.
public struct SetCookie: Sendable, Equatable {
    /// The whole header value: `name=value; Path=/; …`.
    public let headerValue: String

    /// How long the browser keeps the cookie.
    enum Lifetime {
        /// Until the browser closes.
        case browserSession
        case seconds(Int)
        /// Drop it now.
        case expired
    }

    init(name: String, value: String, lifetime: Lifetime, secure: Bool) {
        var line = name
        line.reserveCapacity(name.utf8.count + value.utf8.count + 96)
        line += "="
        line += value
        switch lifetime {
        case .browserSession: break
        case .seconds(let seconds):
            line += "; Max-Age="
            line += String(seconds)
        case .expired:
            // Both Max-Age and a past Expires: older clients only understand the latter.
            line += "; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0"
        }
        line += "; Path=/"
        if secure { line += "; Secure" }
        line += "; HttpOnly; SameSite=Lax"
        self.headerValue = line
    }

    var field: HTTPField { HTTPField(name: .setCookie, value: headerValue) }
}
