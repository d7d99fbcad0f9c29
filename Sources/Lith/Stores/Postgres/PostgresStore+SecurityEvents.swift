import Foundation
import PostgresNIO

extension PostgresStore: SecurityEventStore {
    /// The columns a ``SecurityEvent`` is read from, and how.
    enum EventColumns {
        static let list = "at, event, user_id, email, ip, browser, session_id"
        typealias Row = (Int64, String, Int64?, String?, String?, String?, String?)

        static func event(_ row: Row) -> SecurityEvent? {
            guard let kind = SecurityEvent.Kind(rawValue: row.1) else { return nil }
            return SecurityEvent(
                kind,
                at: Date(unixSeconds: row.0),
                userID: row.2,
                email: row.3.map(EmailAddress.init(stored:)),
                address: row.4,
                browser: row.5,
                sessionID: row.6.flatMap { SessionID($0) }
            )
        }
    }

    public func insertEvent(_ event: SecurityEvent) async throws {
        _ = try await run(.insertEvent) { connection in
            try await connection.query(
                """
                INSERT INTO security_events (\(unescaped: EventColumns.list))
                VALUES (\(event.at.unixSeconds), \(event.kind.rawValue), \(event.userID), \(event.email?.value), \(event.address),
                        \(event.browser), \(event.sessionID?.value))
                """
            )
        }
    }

    @discardableResult
    public func insertEvent(_ event: SecurityEvent, unlessRecordedSince since: Date) async throws -> Bool {
        try await run(.insertEvent) { [logger] connection in
            // An advisory lock per (kind, email, address) for the
            // transaction makes check-and-insert one step across instances:
            // at READ COMMITTED two instances could otherwise both see no
            // recent entry and both write one.
            let key = "\(event.kind.rawValue) \(event.email?.value ?? "") \(event.address ?? "")"
            return try await connection.withTransaction(logger: logger) { connection in
                try await connection.query("SELECT pg_advisory_xact_lock(hashtextextended(\(key), 0))", logger: logger)
                let rows = try await connection.query(
                    """
                    INSERT INTO security_events (\(unescaped: EventColumns.list))
                    SELECT \(event.at.unixSeconds), \(event.kind.rawValue), \(event.userID), \(event.email?.value), \(event.address),
                           \(event.browser), \(event.sessionID?.value)
                    WHERE NOT EXISTS (
                        SELECT 1 FROM security_events
                        WHERE event = \(event.kind.rawValue) AND email IS NOT DISTINCT FROM \(event.email?.value)
                          AND ip IS NOT DISTINCT FROM \(event.address) AND at >= \(since.unixSeconds)
                    )
                    RETURNING 1
                    """,
                    logger: logger
                )
                var written = false
                for try await _ in rows.decode(Int32.self) { written = true }
                return written
            }
        }
    }

    public func events(userID: User.ID, limit: Int) async throws -> [SecurityEvent] {
        try await run(.events) { connection in
            var events: [SecurityEvent] = []
            let rows = try await connection.query(
                "SELECT \(unescaped: EventColumns.list) FROM security_events WHERE user_id = \(userID) ORDER BY id DESC LIMIT \(Int64(limit))"
            )
            for try await row in rows.decode(EventColumns.Row.self) { EventColumns.event(row).map { events.append($0) } }
            return events
        }
    }

    public func events(email: EmailAddress?, since: Date?, limit: Int) async throws -> [SecurityEvent] {
        let since = since?.unixSeconds ?? 0
        let email = email?.value
        return try await run(.events) { connection in
            var events: [SecurityEvent] = []
            // The newest `limit`, printed oldest first.
            let rows = try await connection.query(
                """
                SELECT \(unescaped: EventColumns.list) FROM security_events
                WHERE at >= \(since) AND (\(email)::text IS NULL OR email = \(email))
                ORDER BY id DESC LIMIT \(Int64(limit))
                """
            )
            for try await row in rows.decode(EventColumns.Row.self) { EventColumns.event(row).map { events.append($0) } }
            return events.reversed()
        }
    }

    @discardableResult
    public func deleteEvents(before cutoff: Date) async throws -> Int {
        let seconds = cutoff.unixSeconds
        return try await run(.deleteEvents, timeout: 60) { connection in
            var count = 0
            for try await _ in try await connection.query("DELETE FROM security_events WHERE at < \(seconds) RETURNING 1").decode(Int32.self) {
                count += 1
            }
            return count
        }
    }
}
