import Foundation
import Logging

/// Accounts and credentials, with no HTTP in sight: who may sign up, who is
/// who, and the checks that keep passwords safe — the throttle on guessing
/// (``Throttle``) included, so an app built on Lith can't forget it. Every
/// outcome is written to the security log. The web layer calls these and
/// turns the answers into pages.
public struct Accounts: Sendable {
    let store: any UserStore
    /// Reset links, which die when the password changes; `nil` for a store
    /// without them.
    let links: (any LinkTokenStore)?
    let hasher: any PasswordHashing
    /// What a new password must satisfy; signup forms show its minimum length.
    public let passwordPolicy: PasswordPolicy
    public let throttle: Throttle
    let securityLog: any SecurityLog
    /// One "login throttled" entry per account and address a minute.
    let throttledEvents = RepeatFilter()
    let clock: @Sendable () -> Date
    let logger: Logger?

    /// - Parameters:
    ///   - securityLog: where events go; by default the store's own log.
    public init(
        store: any UserStore & CounterStore & SecurityEventStore,
        hasher: any PasswordHashing,
        passwordPolicy: PasswordPolicy = PasswordPolicy(),
        throttlePolicy: ThrottlePolicy = ThrottlePolicy(),
        securityLog: (any SecurityLog)? = nil,
        clock: @escaping @Sendable () -> Date = Date.init,
        logger: Logger? = nil
    ) {
        self.store = store
        self.links = store as? any LinkTokenStore
        self.hasher = hasher
        self.passwordPolicy = passwordPolicy
        self.throttle = Throttle(store: store, policy: throttlePolicy, clock: clock)
        self.securityLog = securityLog ?? StoredSecurityLog(store: store, logger: logger ?? Logger(label: "lith"))
        self.clock = clock
        self.logger = logger
        if passwordPolicy.commonPasswords == nil {
            logger?.warning("no list of common passwords: new passwords are only checked for length")
        }
    }

    /// Learns the parameters of the stored hashes, so that failed logins cost
    /// the same whatever the account (``PasswordHasher/learnStoredParameters(_:)``).
    /// Call once at start-up; reads every account's hash settings.
    public func prepare() async throws {
        let stored = try await store.passwordHashSettings().compactMap { try? ScryptParameters(parsing: $0) }
        await hasher.learnStoredParameters(stored)
    }

    // MARK: signing up

    /// Creates an account. Throws ``FieldErrors`` for anything the person can
    /// fix, with nothing stored, and ``Throttled`` when `client`'s address
    /// has signed up too often; the store's unique constraint settles races
    /// between concurrent signups of one email.
    ///
    /// - Parameter event: what the security log calls it: a `signup`, or an
    ///   operator's `user_created`.
    public func register(
        email rawEmail: String,
        password rawPassword: String,
        confirmation: String,
        from client: Client = .unknown,
        recordingAs event: SecurityEvent.Kind = .signup
    ) async throws -> User {
        let (email, password) = try validateNewAccount(email: rawEmail, password: rawPassword, confirmation: confirmation)
        try await throttle.admitSignup(from: client.address)
        // Cheap read first, so a taken email doesn't cost a hash.
        guard try await store.user(email: email) == nil else { throw Self.emailTaken }
        let hash = try await hasher.hash(password)
        let user: User
        do {
            user = try await store.insertUser(email: email, passwordHash: hash, at: clock())
        } catch StoreError.emailTaken {
            throw Self.emailTaken
        }
        // The address an account is created from is its owner's, like one it signed in from.
        try await throttle.remember(Throttle.LoginKeys(email: email.value, address: client.address))
        await securityLog.record(SecurityEvent(event, at: clock(), user: user, client: client))
        return user
    }

    /// The checks ``register(email:password:confirmation:from:)`` makes before
    /// it touches the store or the hasher: every field's problem at once.
    public func validateNewAccount(
        email rawEmail: String,
        password rawPassword: String,
        confirmation: String
    ) throws(FieldErrors) -> (EmailAddress, Password) {
        var errors = FieldErrors()
        var email: EmailAddress?
        do { email = try EmailAddress(rawEmail) } catch { errors[.email] = error.message }
        let password = newPassword(rawPassword, confirmation: confirmation, email: email, errors: &errors)
        guard errors.isEmpty, let email, let password else { throw errors }
        return (email, password)
    }

    static let emailTaken = FieldErrors([.email: "An account with this email already exists."])

    // MARK: signing in

    /// The account these credentials belong to, or `nil` — one answer for an
    /// unknown email, a wrong password and an unusable stored hash, each
    /// costing what the dearest stored hash costs, so neither the response
    /// nor its timing tells who has an account.
    ///
    /// Throws ``Throttled`` before any hashing when there have been too many
    /// failures for the account or from `client`'s address, and
    /// ``FieldErrors`` only for input that can't be a credential at all
    /// (empty, too long).
    public func authenticate(email rawEmail: String, password rawPassword: String, from client: Client = .unknown) async throws -> User? {
        var errors = FieldErrors()
        var email: EmailAddress?
        var password: Password?
        do { email = try EmailAddress(rawEmail) } catch {
            // A malformed address can't have an account: that's a wrong
            // credential, not a form error. Missing or oversized is a form error.
            if error != .malformed { errors[.email] = error.message }
        }
        do { password = try Password(rawPassword) } catch { errors[.password] = error.message }
        guard errors.isEmpty, let password else { throw errors }

        let keys = Throttle.LoginKeys(email: rawEmail, address: client.address)
        let admission: Throttle.Admission
        do {
            admission = try await throttle.admitLogin(keys)
        } catch let throttled as Throttled {
            // One entry a minute per account and address: the filter spares
            // the store a write per refused request on this instance, the
            // store's check keeps the fleet to one entry between instances.
            if throttledEvents.admits(keys.pair.email + " " + keys.pair.address, at: clock()) {
                // Named for the account's owner to see on their page; a
                // lookup only for the one entry a minute that is written.
                var owner: User?
                if let email { owner = try? await store.user(email: email) }
                await securityLog.record(
                    SecurityEvent(.loginThrottled, at: clock(), user: owner, email: email, client: client),
                    unlessRepeatedWithin: throttledEvents.interval
                )
            }
            throw throttled
        }
        guard let email, let (user, encoded) = try await store.credentials(email: email) else {
            // Django's `authenticate` does the same: no account, same cost.
            try await hasher.verifyDummy(password)
            try await throttle.loginFailed(admission)
            await securityLog.record(SecurityEvent(.loginFailed, at: clock(), user: nil, email: email, client: client))
            return nil
        }
        guard try await verify(password, against: encoded, of: user) else {
            try await throttle.loginFailed(admission)
            await securityLog.record(SecurityEvent(.loginFailed, at: clock(), user: user, client: client))
            return nil
        }
        try await throttle.loginSucceeded(admission)
        return user
    }

    /// Whether `password` is the one stored for `user`. A stored hash Lith
    /// can't use is a wrong password at the cost of a dummy hash, and a hash
    /// at old parameters is upgraded on the spot, the only moment the plain
    /// password is at hand.
    private func verify(_ password: Password, against encoded: String, of user: User) async throws -> Bool {
        guard let hash = try? PasswordHash(encoded: encoded), hasher.isUsable(hash) else {
            // Corrupted, another algorithm, or asking for more work than
            // Lith will do: a failed login, not a 500. The user id, not the
            // email, goes to the log.
            logger?.warning(
                "the stored password hash of a user can't be used: they can't log in until it is reset",
                metadata: ["user_id": "\(user.id)"]
            )
            try await hasher.verifyDummy(password)
            return false
        }
        guard try await hasher.verify(password, against: hash) else { return false }
        if hasher.needsUpgrade(hash) {
            try await store.upgradePasswordHash(userID: user.id, to: try await hasher.hash(password))
            await securityLog.record(SecurityEvent(.passwordHashUpgraded, at: clock(), userID: user.id, email: user.email))
        }
        return true
    }

    // MARK: a signed-in user's sensitive changes

    /// Sets a new password for `user`, who must give the current one (a
    /// session left open on a shared computer must not be enough: OWASP ASVS
    /// 2.1.6). A wrong current password counts towards the throttle like a
    /// failed login. Ending the user's other sessions is the caller's part
    /// (``Authentication/logOutEverywhere(keepingThisBrowser:request:context:redirectTo:)``).
    public func changePassword(
        of user: User,
        current: String,
        new rawPassword: String,
        confirmation: String,
        from client: Client = .unknown
    ) async throws {
        var errors = FieldErrors()
        let password = newPassword(rawPassword, confirmation: confirmation, email: user.email, errors: &errors)
        guard try await checkCurrentPassword(current, of: user, from: client) else {
            errors[.currentPassword] = Self.wrongCurrentPassword
            throw errors
        }
        guard errors.isEmpty, let password else { throw errors }
        try await setPassword(of: user, to: password, from: client, recordingAs: .passwordChanged)
    }

    /// A new password for `user`, checked against the policy and its
    /// confirmation, for a caller that has proved who the user is another
    /// way (a reset link).
    public func checkNewPassword(_ raw: String, confirmation: String, for user: User) throws(FieldErrors) -> Password {
        var errors = FieldErrors()
        let password = newPassword(raw, confirmation: confirmation, email: user.email, errors: &errors)
        guard errors.isEmpty, let password else { throw errors }
        return password
    }

    /// Stores `password` for `user`. Reset links asked for before it die
    /// with the old password.
    public func setPassword(of user: User, to password: Password, from client: Client, recordingAs event: SecurityEvent.Kind) async throws {
        try await store.changePassword(userID: user.id, to: try await hasher.hash(password), at: clock())
        try await links?.deleteLinks(userID: user.id, purpose: .passwordReset)
        // An address change asked for before it may be the work of whoever
        // the new password shuts out.
        try await links?.deleteLinks(userID: user.id, purpose: .emailChange)
        await securityLog.record(SecurityEvent(event, at: clock(), user: user, client: client))
    }

    /// Deletes `user`'s account and, with it, every session; the current
    /// password must be given. The security log keeps the deletion.
    public func deleteAccount(of user: User, currentPassword: String, from client: Client = .unknown) async throws {
        guard try await checkCurrentPassword(currentPassword, of: user, from: client) else {
            throw FieldErrors([.currentPassword: Self.wrongCurrentPassword])
        }
        _ = try await store.deleteUser(id: user.id)
        await securityLog.record(SecurityEvent(.accountDeleted, at: clock(), user: user, client: client))
    }

    static let wrongCurrentPassword = "That is not your current password."

    /// The current password of a signed-in user, checked under the throttle.
    func checkCurrentPassword(_ raw: String, of user: User, from client: Client) async throws -> Bool {
        guard let password = try? Password(raw) else { return false }
        let admission = try await throttle.admitLogin(Throttle.LoginKeys(email: user.email.value, address: client.address))
        guard let (_, encoded) = try await store.credentials(userID: user.id),
            try await verify(password, against: encoded, of: user)
        else {
            try await throttle.loginFailed(admission)
            return false
        }
        try await throttle.loginSucceeded(admission)
        return true
    }

    /// A new password checked against the policy and its confirmation,
    /// problems added to `errors`.
    private func newPassword(_ raw: String, confirmation: String, email: EmailAddress?, errors: inout FieldErrors) -> Password? {
        var password: Password?
        do {
            let candidate = try Password(raw)
            try passwordPolicy.check(candidate, email: email)
            password = candidate
        } catch { errors[.password] = error.message }
        if password != nil, raw != confirmation {
            errors[.passwordConfirmation] = "The passwords don't match."
        }
        return password
    }
}
