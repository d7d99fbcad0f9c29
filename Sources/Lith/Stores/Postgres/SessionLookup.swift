import PostgresNIO

/// The read behind every signed-in page view, for one or many tokens at once
/// (see ``LookupBatcher``), as a named prepared statement: each pooled
/// connection parses and plans it once, instead of PostgreSQL parsing and
/// planning the SQL on every request (which, measured, cost it more than
/// executing the lookup).
struct SessionLookup: PostgresPreparedStatement {
    static let sql = """
        SELECT s.token_hash, s.user_id, s.created_at, s.last_seen_at, s.expires_at, s.idle_timeout, s.remember_me,
               s.user_agent, s.ip, u.email, u.created_at, u.password_changed_at
        FROM sessions s JOIN users u ON u.id = s.user_id
        WHERE s.token_hash = ANY($1)
        """

    typealias Row = (String, Int64, Int64, Int64, Int64, Int64, Bool, String?, String?, String, Int64, Int64)

    let tokenHashes: [String]

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 1)
        bindings.append(tokenHashes)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row {
        try row.decode(Row.self)
    }
}
