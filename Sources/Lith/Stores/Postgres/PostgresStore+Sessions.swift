import Foundation
import PostgresNIO

extension PostgresStore: SessionStore {
    /// The columns a ``SessionRecord`` is read from, and how: the one place
    /// their order is written down.
    enum SessionColumns {
        static let list = "s.id, s.token_hash, s.created_at, s.last_seen_at, s.expires_at, s.idle_timeout, s.remember_me, s.user_agent, s.ip"
        typealias Row = (String, String, Int64, Int64, Int64, Int64, Bool, String?, String?)

        static func session(_ row: Row, userID: User.ID) -> SessionRecord {
            SessionRecord(
                id: SessionID(trusted: row.0),
                tokenDigest: SessionToken.Digest(storedHex: row.1),
                userID: userID,
                createdAt: Date(unixSeconds: row.2),
                lastSeenAt: Date(unixSeconds: row.3),
                expiresAt: Date(unixSeconds: row.4),
                idleTimeout: TimeInterval(row.5),
                rememberMe: row.6,
                userAgent: row.7,
                ipAddress: row.8
            )
        }
    }

    public func insertSession(_ session: SessionRecord) async throws {
        _ = try await run(.insertSession) { connection in
            try await connection.query(
                """
                INSERT INTO sessions (id, token_hash, user_id, created_at, last_seen_at, expires_at, idle_timeout, remember_me, user_agent, ip)
                VALUES (\(session.id.value), \(session.tokenDigest.hex), \(session.userID), \(session.createdAt.unixSeconds), \(session.lastSeenAt.unixSeconds),
                        \(session.expiresAt.unixSeconds), \(Int64(session.idleTimeout)), \(session.rememberMe), \(session.userAgent), \(session.ipAddress))
                """
            )
        }
    }

    /// Batched with the lookups of other requests (``SessionLookups``).
    public func session(digest: SessionToken.Digest) async throws -> (SessionRecord, User)? {
        try faults?.check(.session)
        return try await sessionLookups.lookup(digest)
    }

    /// One query for every digest in `digests`.
    static func sessions(
        _ digests: [SessionToken.Digest],
        connection: PostgresConnection,
        logger: Logger
    ) async throws -> [SessionToken.Digest: (SessionRecord, User)] {
        let byHex = Dictionary(digests.map { ($0.hex, $0) }, uniquingKeysWith: { first, _ in first })
        var found: [SessionToken.Digest: (SessionRecord, User)] = [:]
        for try await row in try await connection.execute(SessionLookup(tokenHashes: Array(byHex.keys)), logger: logger) {
            guard let digest = byHex[SessionLookup.tokenHash(row)] else { continue }
            found[digest] = SessionLookup.decode(row)
        }
        return found
    }

    public func touchSession(digest: SessionToken.Digest, lastSeenAt: Date) async throws {
        _ = try await run(.touchSession) { connection in
            try await connection.query("UPDATE sessions SET last_seen_at = \(lastSeenAt.unixSeconds) WHERE token_hash = \(digest.hex)")
        }
    }

    public func deleteSession(digest: SessionToken.Digest) async throws {
        _ = try await run(.deleteSession) { connection in
            try await connection.query("DELETE FROM sessions WHERE token_hash = \(digest.hex)")
        }
    }

    public func deleteSessions(userID: User.ID) async throws {
        _ = try await run(.deleteSessions) { connection in
            try await connection.query("DELETE FROM sessions WHERE user_id = \(userID)")
        }
    }

    public func sessions(userID: User.ID) async throws -> [SessionRecord] {
        try await run(.sessions) { connection in
            var sessions: [SessionRecord] = []
            let rows = try await connection.query(
                "SELECT \(unescaped: SessionColumns.list) FROM sessions s WHERE s.user_id = \(userID) ORDER BY s.last_seen_at DESC, s.created_at DESC"
            )
            for try await row in rows.decode(SessionColumns.Row.self) { sessions.append(SessionColumns.session(row, userID: userID)) }
            return sessions
        }
    }

    public func deleteSession(id: SessionID, userID: User.ID) async throws -> Bool {
        try await run(.deleteSession) { connection in
            // The owner in the WHERE clause: another user's id matches nothing.
            let rows = try await connection.query("DELETE FROM sessions WHERE id = \(id.value) AND user_id = \(userID) RETURNING 1")
            for try await _ in rows.decode(Int32.self) { return true }
            return false
        }
    }

    @discardableResult
    public func deleteSessions(userID: User.ID, except digest: SessionToken.Digest) async throws -> Int {
        try await run(.deleteSessions) { connection in
            var count = 0
            let rows = try await connection.query("DELETE FROM sessions WHERE user_id = \(userID) AND token_hash <> \(digest.hex) RETURNING 1")
            for try await _ in rows.decode(Int32.self) { count += 1 }
            return count
        }
    }

    @discardableResult
    public func deleteExpiredSessions(now: Date) async throws -> Int {
        let seconds = now.unixSeconds
        return try await run(.deleteExpiredSessions, timeout: 60) { connection in
            // Idempotent: instances purging at once delete disjoint or no rows.
            var count = 0
            let rows = try await connection.query(
                "DELETE FROM sessions WHERE expires_at <= \(seconds) OR last_seen_at + idle_timeout <= \(seconds) RETURNING 1"
            )
            for try await _ in rows.decode(Int32.self) { count += 1 }
            return count
        }
    }
}
