import Foundation

/// Accounts and credentials, with no HTTP in sight: who may sign up, who is
/// who, and the checks that keep passwords safe. The web layer calls these and
/// turns the answers into pages.
public struct Accounts: Sendable {
    let store: any Store
    let hasher: PasswordHasher
    /// What a new password must satisfy; signup forms show its minimum length.
    public let policy: PasswordPolicy
    let clock: @Sendable () -> Date

    public init(store: any Store, hasher: PasswordHasher, policy: PasswordPolicy = PasswordPolicy(), clock: @escaping @Sendable () -> Date = Date.init) {
        self.store = store
        self.hasher = hasher
        self.policy = policy
        self.clock = clock
    }

    /// Creates an account. Throws ``FieldErrors`` for anything the person can
    /// fix, with nothing stored; the store's unique constraint settles races
    /// between concurrent signups of one email.
    public func register(email rawEmail: String, password rawPassword: String, confirmation: String) async throws -> User {
        var errors = FieldErrors()
        var email: EmailAddress?
        var password: Password?
        do { email = try EmailAddress(rawEmail) } catch { errors[.email] = error.message }
        do {
            let candidate = try Password(rawPassword)
            try policy.check(candidate)
            password = candidate
        } catch { errors[.password] = error.message }
        if password != nil, rawPassword != confirmation {
            errors[.passwordConfirmation] = "The passwords don't match."
        }
        guard errors.isEmpty, let email, let password else { throw errors }

        // Cheap read first, so a taken email doesn't cost a hash.
        guard try await store.user(email: email) == nil else { throw Self.emailTaken }
        let hash = try await hasher.hash(password)
        do {
            return try await store.insertUser(email: email, passwordHash: hash, at: clock())
        } catch StoreError.emailTaken {
            throw Self.emailTaken
        }
    }

    private static let emailTaken = FieldErrors([.email: "An account with this email already exists."])

    /// The account these credentials belong to, or `nil` — one answer for an
    /// unknown email and a wrong password, in the same time, so neither the
    /// response nor its timing tells who has an account.
    /// Throws ``FieldErrors`` only for input that can't be a credential at all
    /// (empty, too long), before any hashing.
    public func authenticate(email rawEmail: String, password rawPassword: String) async throws -> User? {
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

        guard let email, let (user, hash) = try await store.credentials(email: email) else {
            try await hasher.verifyDummy(password)
            return nil
        }
        guard try await hasher.verify(password, against: hash) else { return nil }
        if hasher.needsUpgrade(hash) {
            // The parameters were raised since this hash was made: re-hash now,
            // the only moment the plain password is at hand.
            try await store.updatePasswordHash(userID: user.id, to: try await hasher.hash(password))
        }
        return user
    }
}
