import Foundation

/// Everything Lith keeps: accounts, sessions and the shared signing key. One
/// narrow interface with an implementation per database; anything that must
/// hold across instances lives behind it, never in process memory.
public protocol Store: Sendable {
    /// Applies every migration not yet applied. Safe to call from several
    /// processes at once.
    func migrate() async throws

    /// Creates an account; throws ``StoreError/emailTaken`` if the (normalised)
    /// email already has one, atomically, even under concurrent signups.
    func insertUser(email: EmailAddress, passwordHash: PasswordHash, at: Date) async throws -> User
    func user(email: EmailAddress) async throws -> User?
    /// The account and its password hash, for checking a login; nothing else reads the hash.
    func credentials(email: EmailAddress) async throws -> (User, PasswordHash)?
    func users() async throws -> [User]
    /// Deletes an account and, by cascade, its sessions. Returns whether it existed.
    func deleteUser(email: EmailAddress) async throws -> Bool
    func updatePasswordHash(userID: User.ID, to hash: PasswordHash) async throws

    func insertSession(_ session: SessionRecord) async throws
    /// The session and its user in one indexed read.
    func session(digest: SessionToken.Digest) async throws -> (SessionRecord, User)?
    func touchSession(digest: SessionToken.Digest, lastSeenAt: Date) async throws
    func deleteSession(digest: SessionToken.Digest) async throws
    func deleteSessions(userID: User.ID) async throws
    /// Deletes every session past either deadline; returns how many went.
    @discardableResult func deleteExpiredSessions(now: Date) async throws -> Int
    func sessionCount() async throws -> Int

    /// A secret shared by every instance, created by whichever asks first:
    /// `candidate` is stored if the name is new, and the stored value is returned.
    func sharedSecret(named name: String, candidate: [UInt8]) async throws -> [UInt8]

    func close() async throws
}

/// What a store can tell its callers, apart from driver details that go to the log.
public enum StoreError: Error, Sendable, Equatable {
    /// The unique email constraint refused the insert.
    case emailTaken
    /// The database can't be reached; worth retrying later (503).
    case unavailable(String)
    /// Anything else went wrong in the database (logged; a 500 for the visitor).
    case failure(String)
}
