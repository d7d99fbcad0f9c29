import Foundation

extension SQLiteStore: SessionStore {
    /// The one read behind every signed-in page view: the user's columns
    /// (``UserColumns``), then the session's, decoded in one place.
    static let sessionQuery = """
        SELECT \(UserColumns.list),
               s.created_at, s.last_seen_at, s.expires_at, s.idle_timeout, s.remember_me, s.user_agent, s.ip
        FROM sessions s JOIN users u ON u.id = s.user_id
        WHERE s.token_hash = ?
        """

    private static func session(_ row: SQLiteReader.Row, digest: SessionToken.Digest) throws -> (SessionRecord, User) {
        let user = try UserColumns.user(row)
        let first = UserColumns.count
        let session = SessionRecord(
            tokenDigest: digest,
            userID: user.id,
            createdAt: Date(unixSeconds: row.int(first)),
            lastSeenAt: Date(unixSeconds: row.int(first + 1)),
            expiresAt: Date(unixSeconds: row.int(first + 2)),
            idleTimeout: TimeInterval(row.int(first + 3)),
            rememberMe: row.int(first + 4) != 0,
            userAgent: row.text(first + 5),
            ipAddress: row.text(first + 6)
        )
        return (session, user)
    }

    public func insertSession(_ session: SessionRecord) async throws {
        try await write(.insertSession) {
            _ = try await writer.query(
                """
                INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, expires_at, idle_timeout, remember_me, user_agent, ip)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [
                    .text(session.tokenDigest.hex), .integer(Int(session.userID)), .integer(Int(session.createdAt.unixSeconds)),
                    .integer(Int(session.lastSeenAt.unixSeconds)), .integer(Int(session.expiresAt.unixSeconds)),
                    .integer(Int(session.idleTimeout)), .integer(session.rememberMe ? 1 : 0),
                    session.userAgent.map { .text($0) } ?? .null, session.ipAddress.map { .text($0) } ?? .null,
                ]
            )
        }
    }

    public func session(digest: SessionToken.Digest) async throws -> (SessionRecord, User)? {
        try read(.session, Self.sessionQuery, [.text(digest.hex)]) { try Self.session($0, digest: digest) }.first
    }

    public func touchSession(digest: SessionToken.Digest, lastSeenAt: Date) async throws {
        try await write(.touchSession) {
            _ = try await writer.query(
                "UPDATE sessions SET last_seen_at = ? WHERE token_hash = ?",
                [.integer(Int(lastSeenAt.unixSeconds)), .text(digest.hex)]
            )
        }
    }

    public func deleteSession(digest: SessionToken.Digest) async throws {
        try await write(.deleteSession) {
            _ = try await writer.query("DELETE FROM sessions WHERE token_hash = ?", [.text(digest.hex)])
        }
    }

    public func deleteSessions(userID: User.ID) async throws {
        try await write(.deleteSessions) {
            _ = try await writer.query("DELETE FROM sessions WHERE user_id = ?", [.integer(Int(userID))])
        }
    }

    @discardableResult
    public func deleteExpiredSessions(now: Date) async throws -> Int {
        try await write(.deleteExpiredSessions) {
            let now = Int(now.unixSeconds)
            return try await writer.query(
                "DELETE FROM sessions WHERE expires_at <= ? OR last_seen_at + idle_timeout <= ? RETURNING token_hash",
                [.integer(now), .integer(now)]
            ).count
        }
    }
}
