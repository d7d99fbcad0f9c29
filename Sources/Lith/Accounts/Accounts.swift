import Foundation
import Logging

/// Accounts and credentials, with no HTTP in sight: who may sign up, who is
/// who, and the checks that keep passwords safe. The web layer calls these and
/// turns the answers into pages.
public struct Accounts: Sendable {
    let store: any UserStore
    let hasher: any PasswordHashing
    /// What a new password must satisfy; signup forms show its minimum length.
    public let passwordPolicy: PasswordPolicy
    let clock: @Sendable () -> Date
    let logger: Logger?

    public init(
        store: any UserStore,
        hasher: any PasswordHashing,
        passwordPolicy: PasswordPolicy = PasswordPolicy(),
        clock: @escaping @Sendable () -> Date = Date.init,
        logger: Logger? = nil
    ) {
        self.store = store
        self.hasher = hasher
        self.passwordPolicy = passwordPolicy
        self.clock = clock
        self.logger = logger
    }

    /// Creates an account. Throws ``FieldErrors`` for anything the person can
    /// fix, with nothing stored; the store's unique constraint settles races
    /// between concurrent signups of one email.
    public func register(email rawEmail: String, password rawPassword: String, confirmation: String) async throws -> User {
        let (email, password) = try validateNewAccount(email: rawEmail, password: rawPassword, confirmation: confirmation)
        // Cheap read first, so a taken email doesn't cost a hash.
        guard try await store.user(email: email) == nil else { throw Self.emailTaken }
        let hash = try await hasher.hash(password)
        do {
            return try await store.insertUser(email: email, passwordHash: hash, at: clock())
        } catch StoreError.emailTaken {
            throw Self.emailTaken
        }
    }

    /// The checks ``register(email:password:confirmation:)`` makes before it
    /// touches the store or the hasher: every field's problem at once.
    public func validateNewAccount(
        email rawEmail: String,
        password rawPassword: String,
        confirmation: String
    ) throws(FieldErrors) -> (
        EmailAddress, Password
    ) {
        var errors = FieldErrors()
        var email: EmailAddress?
        var password: Password?
        do { email = try EmailAddress(rawEmail) } catch { errors[.email] = error.message }
        do {
            let candidate = try Password(rawPassword)
            try passwordPolicy.check(candidate)
            password = candidate
        } catch { errors[.password] = error.message }
        if password != nil, rawPassword != confirmation {
            errors[.passwordConfirmation] = "The passwords don't match."
        }
        guard errors.isEmpty, let email, let password else { throw errors }
        return (email, password)
    }

    static let emailTaken = FieldErrors([.email: "An account with this email already exists."])

    /// The account these credentials belong to, or `nil` — one answer for an
    /// unknown email, a wrong password and an unusable stored hash, each
    /// costing one hash, so neither the response nor its timing tells who
    /// has an account.
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

        guard let email, let (user, encoded) = try await store.credentials(email: email) else {
            // Django's `authenticate` does the same: no account, same cost.
            try await hasher.verifyDummy(password)
            return nil
        }
        guard let hash = try? PasswordHash(encoded: encoded), hasher.isUsable(hash) else {
            // Corrupted, another algorithm, or asking for more work than
            // Lith will do: a failed login, not a 500. The user id, not the
            // email, goes to the log.
            logger?.warning(
                "the stored password hash of a user can't be used: they can't log in until it is reset",
                metadata: ["user_id": "\(user.id)"]
            )
            try await hasher.verifyDummy(password)
            return nil
        }
        guard try await hasher.verify(password, against: hash) else { return nil }
        if hasher.needsUpgrade(hash) {
            // The parameters were raised since this hash was made: re-hash now,
            // the only moment the plain password is at hand.
            try await store.upgradePasswordHash(userID: user.id, to: try await hasher.hash(password))
        }
        return user
    }
}
