import Foundation

/// One entry of the security log: what happened to an account, when, and
/// from where. Its fields are the whole of what is recorded — there is no
/// place in it for a password, a token, a digest or a hash.
public struct SecurityEvent: Sendable, Equatable {
    /// The event names of the account contract (`lith audit --json`).
    public enum Kind: String, Sendable, CaseIterable {
        case signup
        case loginSucceeded = "login_succeeded"
        case loginFailed = "login_failed"
        case loginThrottled = "login_throttled"
        case logout
        case sessionExpired = "session_expired"
        case sessionRevoked = "session_revoked"
        case otherSessionsRevoked = "other_sessions_revoked"
        case passwordChanged = "password_changed"
        case passwordHashUpgraded = "password_hash_upgraded"
        case accountDeleted = "account_deleted"
        case passwordResetRequested = "password_reset_requested"
        case passwordReset = "password_reset"
        /// A reset link was opened after it had run out.
        case passwordResetExpired = "password_reset_expired"
        case emailVerified = "email_verified"
        case emailChangeRequested = "email_change_requested"
        case emailChanged = "email_changed"
        case userCreated = "user_created"
        case userDeleted = "user_deleted"
        case userUnlocked = "user_unlocked"

        /// What the account page says happened.
        public var summary: String {
            switch self {
            case .signup: "Account created"
            case .loginSucceeded: "Signed in"
            case .loginFailed: "Failed sign-in"
            case .loginThrottled: "Sign-in attempts slowed down"
            case .logout: "Signed out"
            case .sessionExpired: "Session expired"
            case .sessionRevoked: "A session was signed out"
            case .otherSessionsRevoked: "Signed out everywhere else"
            case .passwordChanged: "Password changed"
            case .passwordHashUpgraded: "Password storage upgraded"
            case .accountDeleted: "Account deleted"
            case .passwordResetRequested: "Password reset requested"
            case .passwordReset: "Password reset"
            case .passwordResetExpired: "Expired reset link opened"
            case .emailVerified: "Email address verified"
            case .emailChangeRequested: "Email change requested"
            case .emailChanged: "Email address changed"
            case .userCreated: "Account created by an operator"
            case .userDeleted: "Account deleted by an operator"
            case .userUnlocked: "Sign-in unlocked by an operator"
            }
        }
    }

    public let at: Date
    public let kind: Kind
    public let userID: User.ID?
    /// The account's email, or the email typed at a failed login (only if it
    /// is a well-formed address).
    public let email: EmailAddress?
    /// The client's address.
    public let address: String?
    /// A short summary of the browser (``BrowserSummary``), never the raw User-Agent.
    public let browser: String?
    public let sessionID: SessionID?

    public init(
        _ kind: Kind,
        at: Date,
        userID: User.ID? = nil,
        email: EmailAddress? = nil,
        address: String? = nil,
        browser: String? = nil,
        sessionID: SessionID? = nil
    ) {
        self.kind = kind
        self.at = at
        self.userID = userID
        self.email = email
        self.address = address
        self.browser = browser
        self.sessionID = sessionID
    }

    /// An event about `user` caused by `client`.
    public init(_ kind: Kind, at: Date, user: User?, email: EmailAddress? = nil, client: Client, sessionID: SessionID? = nil) {
        self.init(
            kind,
            at: at,
            userID: user?.id,
            email: user?.email ?? email,
            address: client.address?.description,
            browser: client.browser,
            sessionID: sessionID
        )
    }
}
