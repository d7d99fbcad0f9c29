import Foundation
import SQLiteNIO

extension SQLiteStore: SecurityEventStore {
    /// The columns a ``SecurityEvent`` is read from, and how.
    enum EventColumns {
        static let list = "at, event, user_id, email, ip, browser, session_id"

        static func event(_ row: SQLiteReader.Row) -> SecurityEvent? {
            guard let kind = row.text(1).flatMap(SecurityEvent.Kind.init(rawValue:)) else { return nil }
            return SecurityEvent(
                kind,
                at: Date(unixSeconds: row.int(0)),
                userID: row.isNull(2) ? nil : row.int(2),
                email: row.text(3).map(EmailAddress.init(stored:)),
                address: row.text(4),
                browser: row.text(5),
                sessionID: row.text(6).flatMap { SessionID($0) }
            )
        }
    }

    public func insertEvent(_ event: SecurityEvent) async throws {
        try await write(.insertEvent) {
            _ = try await writer.query(
                "INSERT INTO security_events (\(EventColumns.list)) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    .integer(Int(event.at.unixSeconds)), .text(event.kind.rawValue), event.userID.map { .integer(Int($0)) } ?? .null,
                    event.email.map { .text($0.value) } ?? .null, event.address.map { .text($0) } ?? .null,
                    event.browser.map { .text($0) } ?? .null, event.sessionID.map { .text($0.value) } ?? .null,
                ]
            )
        }
    }

    @discardableResult
    public func insertEvent(_ event: SecurityEvent, unlessRecordedSince since: Date) async throws -> Bool {
        // SQLite has one writer at a time: the check and the insert can't interleave with another's.
        try await write(.insertEvent) {
            try await writer.query(
                """
                INSERT INTO security_events (\(EventColumns.list))
                SELECT ?, ?, ?, ?, ?, ?, ?
                WHERE NOT EXISTS (
                    SELECT 1 FROM security_events WHERE event = ? AND email IS ? AND ip IS ? AND at >= ?
                )
                RETURNING id
                """,
                [
                    .integer(Int(event.at.unixSeconds)), .text(event.kind.rawValue), event.userID.map { .integer(Int($0)) } ?? .null,
                    event.email.map { .text($0.value) } ?? .null, event.address.map { .text($0) } ?? .null,
                    event.browser.map { .text($0) } ?? .null, event.sessionID.map { .text($0.value) } ?? .null,
                    .text(event.kind.rawValue), event.email.map { .text($0.value) } ?? .null, event.address.map { .text($0) } ?? .null,
                    .integer(Int(since.unixSeconds)),
                ]
            ).count == 1
        }
    }

    public func events(userID: User.ID, limit: Int) async throws -> [SecurityEvent] {
        try read(
            .events,
            "SELECT \(EventColumns.list) FROM security_events WHERE user_id = ? ORDER BY id DESC LIMIT ?",
            [.integer(userID), .integer(Int64(limit))],
            EventColumns.event
        ).compactMap { $0 }
    }

    public func events(email: EmailAddress?, since: Date?, limit: Int) async throws -> [SecurityEvent] {
        var conditions = ["at >= ?"]
        var binds: [SQLiteReader.Bind] = [.integer(since?.unixSeconds ?? 0)]
        if let email {
            conditions.append("email = ?")
            binds.append(.text(email.value))
        }
        binds.append(.integer(Int64(limit)))
        // The newest `limit`, printed oldest first.
        return try read(
            .events,
            "SELECT \(EventColumns.list) FROM security_events WHERE \(conditions.joined(separator: " AND ")) ORDER BY id DESC LIMIT ?",
            binds,
            EventColumns.event
        ).compactMap { $0 }.reversed()
    }

    @discardableResult
    public func deleteEvents(before cutoff: Date) async throws -> Int {
        try await write(.deleteEvents) {
            try await writer.query("DELETE FROM security_events WHERE at < ? RETURNING id", [.integer(Int(cutoff.unixSeconds))]).count
        }
    }
}
