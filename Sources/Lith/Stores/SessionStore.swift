import Foundation

/// Signed-in browsers, keyed by the SHA-256 of their token, never the token.
public protocol SessionStore: Sendable {
    /// Stores a new session. Its digest is new (256 random bits), so this
    /// never collides.
    func insertSession(_ session: SessionRecord) async throws

    /// The session with this digest and its user, in one indexed read: the
    /// read behind every signed-in page view. Expired sessions are returned
    /// as they are stored — the caller decides what expired means
    /// (``SessionPolicy``), so a shortened policy applies to old rows at once.
    func session(digest: SessionToken.Digest) async throws -> (SessionRecord, User)?

    /// Moves `lastSeenAt`. A session deleted meanwhile is no error.
    func touchSession(digest: SessionToken.Digest, lastSeenAt: Date) async throws

    /// Ends one session. Idempotent: deleting a missing session is no error.
    func deleteSession(digest: SessionToken.Digest) async throws

    /// Ends every session of a user. Idempotent.
    func deleteSessions(userID: User.ID) async throws

    /// Every stored session of a user (expired ones too, until purged: the
    /// caller filters with ``SessionPolicy``), most recently active first.
    func sessions(userID: User.ID) async throws -> [SessionRecord]

    /// Ends the session named `id` if it belongs to `userID`; returns whether
    /// one ended. Another user's id changes nothing and answers `false`.
    func deleteSession(id: SessionID, userID: User.ID) async throws -> Bool

    /// Ends every session of a user but the one with `digest`; returns how
    /// many ended.
    @discardableResult func deleteSessions(userID: User.ID, except digest: SessionToken.Digest) async throws -> Int

    /// Deletes every session past its absolute deadline or its idle timeout
    /// as stored with it; returns how many went. Idempotent, and safe to run
    /// on several instances at once (they delete disjoint rows or none).
    @discardableResult func deleteExpiredSessions(now: Date) async throws -> Int
}
