import Foundation
import SQLiteNIO

extension SQLiteStore: CounterStore {
    /// The columns a ``Counter`` is read from, after its key's three.
    enum CounterColumns {
        static let list = "kind, email, ip, failures, last_failure_at, previous_failure_at, failures_expire_at, known_until"

        static func counter(_ row: SQLiteReader.Row) -> (CounterKey, Counter)? {
            guard let kind = row.text(0).flatMap(CounterKey.Kind.init(rawValue:)) else { return nil }
            return (
                CounterKey(kind, email: row.text(1) ?? "", address: row.text(2) ?? ""),
                Counter(
                    failures: Int(row.int(3)),
                    lastFailureAt: Date(unixSeconds: row.int(4)),
                    previousFailureAt: row.int(5) == 0 ? nil : Date(unixSeconds: row.int(5)),
                    failuresExpireAt: Date(unixSeconds: row.int(6)),
                    knownUntil: row.int(7) == 0 ? nil : Date(unixSeconds: row.int(7))
                )
            )
        }

        /// The same from a row the writer returned.
        static func counter(_ row: SQLiteRow) -> (CounterKey, Counter)? {
            guard let kind = row.column("kind")?.string.flatMap(CounterKey.Kind.init(rawValue:)) else { return nil }
            func int(_ name: String) -> Int64 { Int64(row.column(name)?.integer ?? 0) }
            return (
                CounterKey(kind, email: row.column("email")?.string ?? "", address: row.column("ip")?.string ?? ""),
                Counter(
                    failures: Int(int("failures")),
                    lastFailureAt: Date(unixSeconds: int("last_failure_at")),
                    previousFailureAt: int("previous_failure_at") == 0 ? nil : Date(unixSeconds: int("previous_failure_at")),
                    failuresExpireAt: Date(unixSeconds: int("failures_expire_at")),
                    knownUntil: int("known_until") == 0 ? nil : Date(unixSeconds: int("known_until"))
                )
            )
        }
    }

    public func counters(_ keys: [CounterKey]) async throws -> [CounterKey: Counter] {
        guard !keys.isEmpty else { return [:] }
        let matches = Array(repeating: "(kind = ? AND email = ? AND ip = ?)", count: keys.count).joined(separator: " OR ")
        let binds = keys.flatMap { key -> [SQLiteReader.Bind] in [.text(key.kind.rawValue), .text(key.email), .text(key.address)] }
        let rows = try read(.counters, "SELECT \(CounterColumns.list) FROM throttle_counters WHERE \(matches)", binds, CounterColumns.counter)
        return Dictionary(rows.compactMap { $0 }, uniquingKeysWith: { first, _ in first })
    }

    public func addFailure(_ keys: [CounterKey: TimeInterval], at now: Date) async throws -> [CounterKey: Counter] {
        guard !keys.isEmpty else { return [:] }
        let seconds = Int(now.unixSeconds)
        let rows = Array(repeating: "(?, ?, ?, 1, ?, 0, ?, 0)", count: keys.count).joined(separator: ", ")
        let binds = keys.flatMap { key, window -> [SQLiteData] in
            [.text(key.kind.rawValue), .text(key.email), .text(key.address), .integer(seconds), .integer(seconds + Int(window))]
        }
        return try await write(.addFailure) {
            // One statement: SQLite runs it under the write lock, so every
            // concurrent failure is counted exactly once.
            let returned = try await writer.query(
                """
                INSERT INTO throttle_counters (\(CounterColumns.list)) VALUES \(rows)
                ON CONFLICT (kind, email, ip) DO UPDATE SET
                    failures = CASE WHEN failures_expire_at <= excluded.last_failure_at THEN 1 ELSE failures + 1 END,
                    previous_failure_at = CASE WHEN failures_expire_at <= excluded.last_failure_at THEN 0 ELSE last_failure_at END,
                    last_failure_at = excluded.last_failure_at,
                    failures_expire_at = excluded.failures_expire_at
                RETURNING \(CounterColumns.list)
                """,
                binds
            )
            return Dictionary(returned.compactMap(CounterColumns.counter), uniquingKeysWith: { first, _ in first })
        }
    }

    public func recordSuccess(pair: CounterKey, others: [CounterKey], knownUntil: Date) async throws {
        try await write(.recordSuccess) {
            // The pair's row, made if it never failed: cleared and marked known.
            _ = try await writer.query(
                """
                INSERT INTO throttle_counters (\(CounterColumns.list)) VALUES (?, ?, ?, 0, 0, 0, 0, ?)
                ON CONFLICT (kind, email, ip) DO UPDATE SET failures = 0, known_until = max(known_until, excluded.known_until)
                """,
                [.text(pair.kind.rawValue), .text(pair.email), .text(pair.address), .integer(Int(knownUntil.unixSeconds))]
            )
            guard !others.isEmpty else { return }
            // The others: the one failure the attempt was counted as, given back.
            let matches = Array(repeating: "(kind = ? AND email = ? AND ip = ?)", count: others.count).joined(separator: " OR ")
            _ = try await writer.query(
                "UPDATE throttle_counters SET failures = max(failures - 1, 0) WHERE \(matches)",
                others.flatMap { key -> [SQLiteData] in [.text(key.kind.rawValue), .text(key.email), .text(key.address)] }
            )
        }
    }

    public func deleteCounters(email: String) async throws -> Int {
        try await write(.deleteCounters) {
            try await writer.query("DELETE FROM throttle_counters WHERE email = ? RETURNING kind", [.text(email)]).count
        }
    }

    public func activeCounters(now: Date) async throws -> [(key: CounterKey, counter: Counter)] {
        try read(
            .counters,
            "SELECT \(CounterColumns.list) FROM throttle_counters WHERE failures > 0 AND failures_expire_at > ? ORDER BY failures DESC",
            [.integer(now.unixSeconds)],
            CounterColumns.counter
        ).compactMap { $0.map { (key: $0.0, counter: $0.1) } }
    }

    @discardableResult
    public func deleteExpiredCounters(now: Date) async throws -> Int {
        try await write(.deleteExpiredCounters) {
            let now = Int(now.unixSeconds)
            return try await writer.query(
                "DELETE FROM throttle_counters WHERE failures_expire_at <= ? AND known_until <= ? RETURNING kind",
                [.integer(now), .integer(now)]
            ).count
        }
    }
}
