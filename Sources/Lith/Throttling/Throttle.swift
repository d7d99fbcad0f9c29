import Foundation

/// Brute-force throttling for logins and signups, on counters in the store
/// (``CounterStore``), so every instance of a fleet enforces the same limits.
///
/// A login attempt is judged on three counters (``ThrottlePolicy``): its
/// account and address together, the account from anywhere, the address
/// across accounts. An attempt that may go ahead is counted as a failure
/// *before* its password is checked, and given back if it succeeds: a burst
/// of parallel guesses can't all slip past a counter that hasn't been
/// raised yet. A refused attempt costs one indexed read and no hash.
public struct Throttle: Sendable {
    let store: any CounterStore
    public let policy: ThrottlePolicy
    let clock: @Sendable () -> Date

    public init(store: any CounterStore, policy: ThrottlePolicy = ThrottlePolicy(), clock: @escaping @Sendable () -> Date = Date.init) {
        self.store = store
        self.policy = policy
        self.clock = clock
    }

    /// The counters a login attempt for `email` from `address` touches.
    public struct LoginKeys: Sendable, Equatable {
        public let pair: CounterKey
        public let account: CounterKey
        /// `nil` when the client's address is unknown.
        public let address: CounterKey?

        /// `email` as typed, normalised if it is an address at all: an
        /// unknown or malformed email is counted like a real one, so when
        /// throttling starts tells nothing about who has an account.
        public init(email: String, address: IPAddress?) {
            let email = EmailAddress.throttleKey(email)
            let group = address?.throttleGroup ?? ""
            pair = CounterKey(.loginPair, email: email, address: group)
            account = CounterKey(.loginAccount, email: email)
            self.address = address.map { _ in CounterKey(.loginAddress, address: group) }
        }

        var all: [CounterKey] { [pair, account] + (address.map { [$0] } ?? []) }
    }

    /// A login attempt let through, and whether it was counted as a failure
    /// before its password was checked.
    public struct Admission: Sendable, Equatable {
        public let keys: LoginKeys
        let counted: Bool
        /// The pair's counter as read at admission (a known address's).
        var pair: Counter? = nil
    }

    /// Before a password is checked: throws ``Throttled`` if the attempt must
    /// wait (nothing counted, nothing hashed). From an address the account
    /// doesn't know, the attempt is counted as a failure now, until
    /// ``loginSucceeded(_:)-(Admission)`` says otherwise: a burst of
    /// parallel guesses can't all slip past a counter that hasn't gone up
    /// yet. From one it knows (the owner's), it is counted only if it fails
    /// (``loginFailed(_:)``): there, parallel logins are people sharing an
    /// account or a script with the right password, not a burst of guesses,
    /// and counting them first would lock them out of their own account
    /// (the benchmark's sixteen parallel logins of one user found this).
    @discardableResult
    public func admitLogin(_ keys: LoginKeys) async throws -> Admission {
        let now = clock()
        let counters = try await store.counters(keys.all)
        try check(keys, counters, now: now) { rule, counter in rule.wait(counter, now: now) }
        // Without the client's address there is no "home" to know: every
        // such attempt is a stranger's.
        if keys.address != nil, let pair = counters[keys.pair], pair.isKnown(at: now) {
            return Admission(keys: keys, counted: false, pair: pair)
        }
        let after = try await store.addFailure(windows(keys), at: now)
        // Parallel attempts that all read the counters before any was
        // raised: each is judged again on the count it actually got.
        try check(keys, after, now: now) { rule, counter in counter.flatMap { rule.allowed(after: $0, now: now) } }
        return Admission(keys: keys, counted: true)
    }

    /// The attempt's password was right: its pair's failures are cleared and
    /// its address remembered as the account's own; the account and address
    /// counters give back the failure the attempt was counted as, if it was.
    public func loginSucceeded(_ admission: Admission) async throws {
        let keys = admission.keys
        let now = clock()
        // The usual login, from home with nothing failed: the pair's row
        // already says so, for weeks yet. Writing it again would cost every
        // login a write for nothing (the bench's PostgreSQL login cycle
        // showed it); it is refreshed once a day.
        if !admission.counted, let pair = admission.pair, pair.failures(at: now) == 0,
            let knownUntil = pair.knownUntil, knownUntil.timeIntervalSince(now) > policy.knownAddressLifetime - Self.knownRefresh
        {
            return
        }
        try await store.recordSuccess(
            pair: keys.pair,
            others: admission.counted ? [keys.account] + (keys.address.map { [$0] } ?? []) : [],
            knownUntil: now.addingTimeInterval(policy.knownAddressLifetime)
        )
    }

    /// How often a known address's row is written again on success.
    static let knownRefresh: TimeInterval = 24 * 60 * 60

    /// As ``loginSucceeded(_:)-(Admission)`` for an attempt admitted from an unknown address.
    public func loginSucceeded(_ keys: LoginKeys) async throws {
        try await loginSucceeded(Admission(keys: keys, counted: true))
    }

    /// The attempt's password was wrong: counted now if it wasn't before.
    public func loginFailed(_ admission: Admission) async throws {
        guard !admission.counted else { return }
        _ = try await store.addFailure(windows(admission.keys), at: clock())
    }

    /// Remembers `keys`' address as the account's own without counting
    /// anything: the address an account was created from.
    public func remember(_ keys: LoginKeys) async throws {
        guard keys.address != nil else { return }
        try await loginSucceeded(Admission(keys: keys, counted: false))
    }

    private func windows(_ keys: LoginKeys) -> [CounterKey: TimeInterval] {
        var windows: [CounterKey: TimeInterval] = [:]
        for key in keys.all { windows[key] = policy[key.kind].window }
        return windows
    }

    /// Before a signup is attempted from `address`: throws ``Throttled``, or
    /// counts it. Without an address there is nothing to count by.
    public func admitSignup(from address: IPAddress?) async throws {
        guard let address else { return }
        try await admitCounted([(CounterKey(.signupAddress, address: address.throttleGroup), .address)])
    }

    /// Before a mailed link (a reset, a verification, an address change) is
    /// sent for `email` to someone at `address`: throws ``Throttled``, or
    /// counts it, whether or not the account exists.
    public func admitMailedLink(email: String, from address: IPAddress?) async throws {
        var keys: [(CounterKey, Throttled.Scope)] = [(CounterKey(.resetAccount, email: EmailAddress.throttleKey(email)), .account)]
        if let address { keys.append((CounterKey(.resetAddress, address: address.throttleGroup), .address)) }
        try await admitCounted(keys)
    }

    /// Attempts that count whatever their outcome (signups, reset
    /// requests): refused while any key must wait, otherwise counted, then
    /// judged again on the count they got (parallel attempts).
    private func admitCounted(_ keys: [(CounterKey, Throttled.Scope)]) async throws {
        let now = clock()
        let counters = try await store.counters(keys.map(\.0))
        for (key, scope) in keys {
            if let wait = policy[key.kind].wait(counters[key], now: now) {
                throw Throttled(retryAfterSeconds: Int(wait.rounded(.up)), scope: scope)
            }
        }
        var windows: [CounterKey: TimeInterval] = [:]
        for (key, _) in keys { windows[key] = policy[key.kind].window }
        let after = try await store.addFailure(windows, at: now)
        for (key, scope) in keys {
            if let counter = after[key], let wait = policy[key.kind].allowed(after: counter, now: now) {
                throw Throttled(retryAfterSeconds: Int(wait.rounded(.up)), scope: scope)
            }
        }
    }

    /// Clears every counter about an account (`lith user unlock`).
    @discardableResult public func unlock(email: EmailAddress) async throws -> Int {
        try await store.deleteCounters(email: email.value)
    }

    /// A key that makes attempts wait right now, and for how long.
    public struct Limited: Sendable, Equatable {
        public let key: CounterKey
        public let failures: Int
        public let retryAfterSeconds: Int
    }

    /// What is throttled now (`lith throttle list`), longest wait first.
    public func limitedNow() async throws -> [Limited] {
        let now = clock()
        return try await store.activeCounters(now: now).compactMap { key, counter in
            policy[key.kind].wait(counter, now: now).map {
                Limited(key: key, failures: counter.failures, retryAfterSeconds: Int($0.rounded(.up)))
            }
        }.sorted { $0.retryAfterSeconds > $1.retryAfterSeconds }
    }

    /// Throws for the longest wait among the keys' counters, if any. The
    /// account and address limits don't apply from an address the account
    /// signed in from lately: a stranger can't lock the owner out.
    private func check(
        _ keys: LoginKeys,
        _ counters: [CounterKey: Counter],
        now: Date,
        _ wait: (ThrottleRule, Counter?) -> TimeInterval?
    ) throws {
        let known = counters[keys.pair]?.isKnown(at: now) ?? false
        var longest: (TimeInterval, Throttled.Scope)?
        for key in keys.all where key.kind == .loginPair || !known {
            guard let seconds = wait(policy[key.kind], counters[key]) else { continue }
            let scope: Throttled.Scope = key.kind == .loginAddress ? .address : .account
            if seconds > longest?.0 ?? 0 { longest = (seconds, scope) }
        }
        if let (seconds, scope) = longest { throw Throttled(retryAfterSeconds: Int(seconds.rounded(.up)), scope: scope) }
    }
}
