import Foundation

/// Accounts and their credentials.
public protocol UserStore: Sendable {
    /// Creates an account. Throws ``StoreError/emailTaken`` if the
    /// (normalised) email has one already — atomically, so of two concurrent
    /// signups for one address exactly one succeeds.
    func insertUser(email: EmailAddress, passwordHash: PasswordHash, at: Date) async throws -> User

    /// The account with this email, or `nil`.
    func user(email: EmailAddress) async throws -> User?

    /// The account and its password hash exactly as stored, for checking a
    /// login; nothing else reads the hash. Not parsed here: a hash Lith can't
    /// read (corrupted, another algorithm) is a failed login, decided by
    /// ``Accounts``, not a store error.
    func credentials(email: EmailAddress) async throws -> (user: User, passwordHash: String)?

    /// The account and its password hash, by id: for re-checking the
    /// password of a signed-in user before a sensitive change.
    func credentials(userID: User.ID) async throws -> (user: User, passwordHash: String)?

    /// Every account, oldest first.
    func users() async throws -> [User]

    /// The distinct parameter strings (`ln=…,r=…,p=…`) of the stored hashes,
    /// so failed logins can be made to cost what the dearest of them costs.
    /// Reads the whole table: called once, at start-up.
    func passwordHashSettings() async throws -> [String]

    /// Deletes an account and, by cascade, its sessions. Returns whether it
    /// existed; deleting a missing account is no error.
    func deleteUser(email: EmailAddress) async throws -> Bool

    /// Deletes an account by id, and by cascade its sessions. Returns whether it existed.
    func deleteUser(id: User.ID) async throws -> Bool

    /// Sets a new password: the hash, and `passwordChangedAt` to `now`.
    /// Returns whether the account exists.
    @discardableResult func changePassword(userID: User.ID, to hash: PasswordHash, at now: Date) async throws -> Bool

    /// Marks `email` verified at `now`, if it is still the account's
    /// address (a link to an address since changed proves nothing). Returns
    /// whether it was.
    @discardableResult func markEmailVerified(userID: User.ID, email: EmailAddress, at now: Date) async throws -> Bool

    /// Moves the account to `email`, verified at `now` (the change is made
    /// by opening a link mailed there). Throws ``StoreError/emailTaken`` if
    /// another account has it. Returns whether the account exists.
    @discardableResult func changeEmail(userID: User.ID, to email: EmailAddress, at now: Date) async throws -> Bool

    /// Replaces the hash of an unchanged password with one at today's
    /// parameters; `passwordChangedAt` stays, since the password didn't change.
    /// A missing account is no error.
    func upgradePasswordHash(userID: User.ID, to hash: PasswordHash) async throws
}
