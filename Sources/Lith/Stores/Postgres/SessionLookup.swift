import Foundation
import PostgresNIO

/// The read behind every signed-in page view, for one or many tokens at once
/// (see ``SessionLookups``), as a named prepared statement: each pooled
/// connection parses and plans it once, instead of PostgreSQL parsing and
/// planning the SQL on every request (which, measured, cost it more than
/// executing the lookup).
struct SessionLookup: PostgresPreparedStatement {
    /// The user's columns (``PostgresStore/UserColumns``), then the session's:
    /// the order ``decode(_:)`` reads them in, written down once, here.
    static let sql = """
        SELECT \(PostgresStore.UserColumns.list),
               s.token_hash, s.created_at, s.last_seen_at, s.expires_at, s.idle_timeout, s.remember_me, s.user_agent, s.ip
        FROM sessions s JOIN users u ON u.id = s.user_id
        WHERE s.token_hash = ANY($1)
        """

    typealias Row = (Int64, String, Int64, Int64, String, Int64, Int64, Int64, Int64, Bool, String?, String?)

    let tokenHashes: [String]

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 1)
        bindings.append(tokenHashes)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row {
        try row.decode(Row.self)
    }

    /// The session's token hash (to match it to its lookup), the session and its user.
    static func decode(_ row: Row, digest: SessionToken.Digest) -> (SessionRecord, User) {
        let user = PostgresStore.UserColumns.user((row.0, row.1, row.2, row.3))
        let session = SessionRecord(
            tokenDigest: digest,
            userID: user.id,
            createdAt: Date(unixSeconds: row.5),
            lastSeenAt: Date(unixSeconds: row.6),
            expiresAt: Date(unixSeconds: row.7),
            idleTimeout: TimeInterval(row.8),
            rememberMe: row.9,
            userAgent: row.10,
            ipAddress: row.11
        )
        return (session, user)
    }
}
