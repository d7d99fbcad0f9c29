import Foundation
import PostgresNIO

extension PostgresStore: SessionStore {
    public func insertSession(_ session: SessionRecord) async throws {
        _ = try await run(.insertSession) { [client] in
            try await client.query(
                """
                INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, expires_at, idle_timeout, remember_me, user_agent, ip)
                VALUES (\(session.tokenDigest.hex), \(session.userID), \(session.createdAt.unixSeconds), \(session.lastSeenAt.unixSeconds),
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
    static func sessions(_ digests: [SessionToken.Digest], client: PostgresClient) async throws -> [SessionToken.Digest: (SessionRecord, User)] {
        let byHex = Dictionary(digests.map { ($0.hex, $0) }, uniquingKeysWith: { first, _ in first })
        var found: [SessionToken.Digest: (SessionRecord, User)] = [:]
        for try await row in try await client.execute(SessionLookup(tokenHashes: Array(byHex.keys))) {
            guard let digest = byHex[row.4] else { continue }
            found[digest] = SessionLookup.decode(row, digest: digest)
        }
        return found
    }

    public func touchSession(digest: SessionToken.Digest, lastSeenAt: Date) async throws {
        _ = try await run(.touchSession) { [client] in
            try await client.query("UPDATE sessions SET last_seen_at = \(lastSeenAt.unixSeconds) WHERE token_hash = \(digest.hex)")
        }
    }

    public func deleteSession(digest: SessionToken.Digest) async throws {
        _ = try await run(.deleteSession) { [client] in
            try await client.query("DELETE FROM sessions WHERE token_hash = \(digest.hex)")
        }
    }

    public func deleteSessions(userID: User.ID) async throws {
        _ = try await run(.deleteSessions) { [client] in
            try await client.query("DELETE FROM sessions WHERE user_id = \(userID)")
        }
    }

    @discardableResult
    public func deleteExpiredSessions(now: Date) async throws -> Int {
        let seconds = now.unixSeconds
        return try await run(.deleteExpiredSessions, timeout: 60) { [client] in
            // Idempotent: instances purging at once delete disjoint or no rows.
            var count = 0
            let rows = try await client.query(
                "DELETE FROM sessions WHERE expires_at <= \(seconds) OR last_seen_at + idle_timeout <= \(seconds) RETURNING 1"
            )
            for try await _ in rows.decode(Int32.self) { count += 1 }
            return count
        }
    }
}
