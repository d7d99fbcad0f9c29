/// An attempt refused by the throttle before any password was checked.
/// Says nothing about whether the account exists: unknown emails are
/// counted exactly like real ones.
public struct Throttled: Error, Sendable, Equatable {
    /// Whole seconds until an attempt may succeed (`Retry-After`), at least 1.
    public let retryAfterSeconds: Int
    /// What the limit was on: the sentence a person reads differs.
    public let scope: Scope

    public enum Scope: Sendable, Equatable {
        /// Too many failures for the account (from here or from anywhere).
        case account
        /// Too many failures or signups from the client's address.
        case address
    }

    public init(retryAfterSeconds: Int, scope: Scope) {
        self.retryAfterSeconds = max(1, retryAfterSeconds)
        self.scope = scope
    }

    /// "Too many attempts for this account. Try again in 4 minutes."
    public var message: String {
        let subject = scope == .account ? "for this account" : "from your network"
        return "Too many attempts \(subject). Try again in \(Self.span(retryAfterSeconds))."
    }

    /// A wait as a person reads it, rounded up: "40 seconds", "1 minute", "15 minutes".
    static func span(_ seconds: Int) -> String {
        if seconds < 60 { return seconds == 1 ? "1 second" : "\(seconds) seconds" }
        let minutes = (seconds + 59) / 60
        if minutes < 120 { return minutes == 1 ? "1 minute" : "\(minutes) minutes" }
        let hours = (minutes + 59) / 60
        return "\(hours) hours"
    }
}
