import Foundation

extension SQLiteStore: SessionStore {
    /// The one read behind every signed-in page view: the user's columns
    /// (``UserColumns``), then the session's, decoded in one place.
    static let sessionQuery = """
        SELECT \(UserColumns.list), \(SessionColumns.list)
        FROM sessions s JOIN users u ON u.id = s.user_id
        WHERE s.token_hash = ?
        """

    /// The columns a ``SessionRecord`` is read from, and how: the one place
    /// their order is written down.
    enum SessionColumns {
        static let list = "s.id, s.token_hash, s.created_at, s.last_seen_at, s.expires_at, s.idle_timeout, s.remember_me, s.user_agent, s.ip"

        /// The session whose columns start at `first`, of user `userID`.
        static func session(_ row: SQLiteReader.Row, from first: Int32, userID: User.ID) throws -> SessionRecord {
            guard let id = row.text(first), let digest = row.text(first + 1) else { throw StoreError.failure("unreadable session row") }
            return SessionRecord(
                id: SessionID(trusted: id),
                tokenDigest: SessionToken.Digest(storedHex: digest),
                userID: userID,
                createdAt: Date(unixSeconds: row.int(first + 2)),
                lastSeenAt: Date(unixSeconds: row.int(first + 3)),
                expiresAt: Date(unixSeconds: row.int(first + 4)),
                idleTimeout: TimeInterval(row.int(first + 5)),
                rememberMe: row.int(first + 6) != 0,
                userAgent: row.text(first + 7),
                ipAddress: row.text(first + 8)
            )
        }
    }

    private static func session(_ row: SQLiteReader.Row) throws -> (SessionRecord, User) {
        let user = try UserColumns.user(row)
        return (try SessionColumns.session(row, from: UserColumns.count, userID: user.id), user)
    }

    public func insertSession(_ session: SessionRecord) async throws {
        try await write(.insertSession) {
            _ = try await writer.query(
                """
                INSERT INTO sessions (id, token_hash, user_id, created_at, last_seen_at, expires_at, idle_timeout, remember_me, user_agent, ip)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [
                    .text(session.id.value), .text(session.tokenDigest.hex), .integer(Int(session.userID)),
                    .integer(Int(session.createdAt.unixSeconds)),
                    .integer(Int(session.lastSeenAt.unixSeconds)), .integer(Int(session.expiresAt.unixSeconds)),
                    .integer(Int(session.idleTimeout)), .integer(session.rememberMe ? 1 : 0),
                    session.userAgent.map { .text($0) } ?? .null, session.ipAddress.map { .text($0) } ?? .null,
                ]
            )
        }
    }

    public func session(digest: SessionToken.Digest) async throws -> (SessionRecord, User)? {
        try read(.session, Self.sessionQuery, [.text(digest.hex)]) { try Self.session($0) }.first
    }

    public func sessions(userID: User.ID) async throws -> [SessionRecord] {
        try read(
            .sessions,
            "SELECT \(SessionColumns.list) FROM sessions s WHERE s.user_id = ? ORDER BY s.last_seen_at DESC, s.created_at DESC",
            [.integer(userID)]
        ) { try SessionColumns.session($0, from: 0, userID: userID) }
    }

    public func deleteSession(id: SessionID, userID: User.ID) async throws -> Bool {
        try await write(.deleteSession) {
            // The owner in the WHERE clause: another user's id matches nothing.
            !(try await writer.query(
                "DELETE FROM sessions WHERE id = ? AND user_id = ? RETURNING id",
                [.text(id.value), .integer(Int(userID))]
            ).isEmpty)
        }
    }

    @discardableResult
    public func deleteSessions(userID: User.ID, except digest: SessionToken.Digest) async throws -> Int {
        try await write(.deleteSessions) {
            try await writer.query(
                "DELETE FROM sessions WHERE user_id = ? AND token_hash <> ? RETURNING id",
                [.integer(Int(userID)), .text(digest.hex)]
            ).count
        }
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
