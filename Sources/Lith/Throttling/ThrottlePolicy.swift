import Foundation

/// The limits on failed logins and on signups. The defaults stop online
/// guessing without letting a stranger lock the owner out from elsewhere or
/// an office behind one NAT lock itself out after a few typos (OWASP
/// Authentication Cheat Sheet, "Account Lockout"; NIST SP 800-63B §5.2.2).
public struct ThrottlePolicy: Sendable, Equatable {
    /// One address guessing one account: five free tries for typos, then
    /// 30 s, 1, 2, 4, 8 minutes, at most 15 minutes between guesses — about
    /// four guesses an hour for an attacker who keeps at it.
    public var loginPair = ThrottleRule(freeFailures: 5, firstDelay: 30, maximumDelay: 15 * 60, window: 60 * 60)

    /// One account from every address (guesses spread over a botnet): ten
    /// times the pair's allowance, and never applied to an address the
    /// account has signed in from (``knownAddressLifetime``), so a stranger
    /// can slow down strangers but never the owner at home.
    public var loginAccount = ThrottleRule(freeFailures: 50, firstDelay: 60, maximumDelay: 15 * 60, window: 60 * 60)

    /// One address across accounts (credential stuffing): hundreds per 15
    /// minutes, far above what a shared office NAT fails at, then closed
    /// until 15 minutes after the last failure. Known addresses pass.
    public var loginAddress = ThrottleRule(freeFailures: 300, firstDelay: 15 * 60, maximumDelay: 15 * 60, window: 15 * 60)

    /// Signups from one address (account farming, and probing which emails
    /// are taken): twenty an hour.
    public var signupAddress = ThrottleRule(freeFailures: 20, firstDelay: 60 * 60, maximumDelay: 60 * 60, window: 60 * 60)

    /// Reset links asked for one email address: five an hour, so a
    /// stranger can't fill someone's inbox (each request sends a mail).
    public var resetAccount = ThrottleRule(freeFailures: 5, firstDelay: 60 * 60, maximumDelay: 60 * 60, window: 60 * 60)

    /// Reset links asked for from one address, for any email: as many as
    /// signups.
    public var resetAddress = ThrottleRule(freeFailures: 20, firstDelay: 60 * 60, maximumDelay: 60 * 60, window: 60 * 60)

    /// How long after a successful login its address counts as the
    /// account's own: a month, so the owner's usual places stay open.
    public var knownAddressLifetime: TimeInterval = 30 * 24 * 60 * 60

    public init() {}

    /// The rule for one kind of counter.
    public subscript(kind: CounterKey.Kind) -> ThrottleRule {
        get {
            switch kind {
            case .loginPair: loginPair
            case .loginAccount: loginAccount
            case .loginAddress: loginAddress
            case .signupAddress: signupAddress
            case .resetAccount: resetAccount
            case .resetAddress: resetAddress
            }
        }
        set {
            switch kind {
            case .loginPair: loginPair = newValue
            case .loginAccount: loginAccount = newValue
            case .loginAddress: loginAddress = newValue
            case .signupAddress: signupAddress = newValue
            case .resetAccount: resetAccount = newValue
            case .resetAddress: resetAddress = newValue
            }
        }
    }
}
