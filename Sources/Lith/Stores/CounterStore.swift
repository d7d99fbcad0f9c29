import Foundation

/// Failure counters for throttling (``Throttle``), shared by every instance
/// on the store, so a fleet enforces one limit rather than one per process.
public protocol CounterStore: Sendable {
    /// The counters stored under `keys`; keys with none are absent.
    func counters(_ keys: [CounterKey]) async throws -> [CounterKey: Counter]

    /// Counts one failure under each key and returns every counter as it now
    /// is. Atomic per key: of concurrent calls none loses a count. A counter
    /// whose failures had expired starts again at one; each key's failures
    /// expire `forgetAfter` seconds after this one.
    func addFailure(_ keys: [CounterKey: TimeInterval], at now: Date) async throws -> [CounterKey: Counter]

    /// A sign-in that succeeded: `pair`'s failures go to zero and its address
    /// is remembered as one the account signs in from until `knownUntil`;
    /// each of `others` gives back the one failure its attempt added.
    func recordSuccess(pair: CounterKey, others: [CounterKey], knownUntil: Date) async throws

    /// Forgets every counter about `email` (an operator unlocking an
    /// account); returns how many there were.
    @discardableResult func deleteCounters(email: String) async throws -> Int

    /// Every counter whose failures have not expired at `now`, most failures first.
    func activeCounters(now: Date) async throws -> [(key: CounterKey, counter: Counter)]

    /// Removes counters with nothing left to say: failures expired and no
    /// known address to remember. Returns how many went. Idempotent.
    @discardableResult func deleteExpiredCounters(now: Date) async throws -> Int
}

/// What a counter counts: a kind of attempt, by account, by client address, or both.
public struct CounterKey: Sendable, Hashable {
    public enum Kind: String, Sendable, CaseIterable {
        /// Failed logins for one account from one address.
        case loginPair = "login_pair"
        /// Failed logins for one account, from anywhere.
        case loginAccount = "login_account"
        /// Failed logins from one address, for any account.
        case loginAddress = "login_address"
        /// Signups from one address.
        case signupAddress = "signup_address"
        /// Password-reset requests for one address (mail bombing a person).
        case resetAccount = "reset_account"
        /// Password-reset requests from one client address.
        case resetAddress = "reset_address"
    }

    public let kind: Kind
    /// The normalised email, or empty when the kind isn't per account.
    public let email: String
    /// The client address (an IPv6 client's /64), or empty when the kind
    /// isn't per address or the address is unknown.
    public let address: String

    public init(_ kind: Kind, email: String = "", address: String = "") {
        self.kind = kind
        self.email = email
        self.address = address
    }
}

/// One key's failures, as stored.
public struct Counter: Sendable, Equatable {
    public var failures: Int
    public var lastFailureAt: Date
    /// The failure before the last one, if it is still counted: with the
    /// last one's count it tells whether the last attempt was allowed.
    public var previousFailureAt: Date?
    public var failuresExpireAt: Date
    /// Until when the account counts this address as one it signs in from.
    public var knownUntil: Date?

    public init(failures: Int, lastFailureAt: Date, previousFailureAt: Date?, failuresExpireAt: Date, knownUntil: Date?) {
        self.failures = failures
        self.lastFailureAt = lastFailureAt
        self.previousFailureAt = previousFailureAt
        self.failuresExpireAt = failuresExpireAt
        self.knownUntil = knownUntil
    }

    /// The failures still counted at `now`.
    public func failures(at now: Date) -> Int { now < failuresExpireAt ? failures : 0 }

    /// Whether the address was one the account signs in from at `now`.
    public func isKnown(at now: Date) -> Bool { knownUntil.map { now < $0 } ?? false }
}
