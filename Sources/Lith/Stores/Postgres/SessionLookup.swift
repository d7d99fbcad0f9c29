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
        SELECT \(PostgresStore.UserColumns.list), \(PostgresStore.SessionColumns.list)
        FROM sessions s JOIN users u ON u.id = s.user_id
        WHERE s.token_hash = ANY($1)
        """

    typealias Row = (Int64, String, Int64, Int64, Int64?, String, String, Int64, Int64, Int64, Int64, Bool, String?, String?)

    let tokenHashes: [String]

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 1)
        bindings.append(tokenHashes)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row {
        try row.decode(Row.self)
    }

    /// The session's token hash (to match it to its lookup).
    static func tokenHash(_ row: Row) -> String { row.6 }

    /// The session and its user.
    static func decode(_ row: Row) -> (SessionRecord, User) {
        let user = PostgresStore.UserColumns.user((row.0, row.1, row.2, row.3, row.4))
        let session = PostgresStore.SessionColumns.session(
            (row.5, row.6, row.7, row.8, row.9, row.10, row.11, row.12, row.13),
            userID: user.id
        )
        return (session, user)
    }
}
