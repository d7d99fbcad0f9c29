/// A one-time message shown on the next page a browser renders. The cookie
/// carries only one of these names, never text, so nothing a visitor or an
/// attacker puts in a cookie can reach the page.
public enum Flash: String, Sendable, CaseIterable {
    case loggedOut = "logged_out"
    case signedUp = "signed_up"
    case sessionExpired = "session_expired"

    public var message: String {
        switch self {
        case .loggedOut: "You have been logged out."
        case .signedUp: "Welcome! Your account is ready."
        case .sessionExpired: "Your session has expired. Please log in again."
        }
    }

    /// `info` or `success`: a class name for the page's styling.
    public var kind: String {
        switch self {
        case .signedUp: "success"
        case .loggedOut, .sessionExpired: "info"
        }
    }
}
