import Foundation
import PostgresNIO

extension PostgresStore: CounterStore {
    /// The columns a ``Counter`` is read from, after its key's three.
    enum CounterColumns {
        static let list = "kind, email, ip, failures, last_failure_at, previous_failure_at, failures_expire_at, known_until"
        typealias Row = (String, String, String, Int64, Int64, Int64, Int64, Int64)

        static func counter(_ row: Row) -> (CounterKey, Counter)? {
            guard let kind = CounterKey.Kind(rawValue: row.0) else { return nil }
            return (
                CounterKey(kind, email: row.1, address: row.2),
                Counter(
                    failures: Int(row.3),
                    lastFailureAt: Date(unixSeconds: row.4),
                    previousFailureAt: row.5 == 0 ? nil : Date(unixSeconds: row.5),
                    failuresExpireAt: Date(unixSeconds: row.6),
                    knownUntil: row.7 == 0 ? nil : Date(unixSeconds: row.7)
                )
            )
        }
    }

    /// Keys as three parallel arrays, always in one order: statements that
    /// lock several rows lock them in the same order, so two of them can't
    /// deadlock.
    private static func columns(_ keys: some Sequence<CounterKey>) -> (kinds: [String], emails: [String], addresses: [String]) {
        let sorted = inLockOrder(keys)
        return (sorted.map(\.kind.rawValue), sorted.map(\.email), sorted.map(\.address))
    }

    private static func inLockOrder(_ keys: some Sequence<CounterKey>) -> [CounterKey] {
        keys.sorted { ($0.kind.rawValue, $0.email, $0.address) < ($1.kind.rawValue, $1.email, $1.address) }
    }

    private static func decode(_ rows: PostgresRowSequence) async throws -> [CounterKey: Counter] {
        var counters: [CounterKey: Counter] = [:]
        for try await row in rows.decode(CounterColumns.Row.self) {
            if let (key, counter) = CounterColumns.counter(row) { counters[key] = counter }
        }
        return counters
    }

    public func counters(_ keys: [CounterKey]) async throws -> [CounterKey: Counter] {
        guard !keys.isEmpty else { return [:] }
        let (kinds, emails, addresses) = Self.columns(keys)
        return try await run(.counters) { [logger] connection in
            var counters: [CounterKey: Counter] = [:]
            let lookup = CounterLookup(kinds: kinds, emails: emails, addresses: addresses)
            for try await row in try await connection.execute(lookup, logger: logger) {
                if let (key, counter) = CounterColumns.counter(row) { counters[key] = counter }
            }
            return counters
        }
    }

    public func addFailure(_ keys: [CounterKey: TimeInterval], at now: Date) async throws -> [CounterKey: Counter] {
        guard !keys.isEmpty else { return [:] }
        let sorted = Self.inLockOrder(keys.keys)
        let (kinds, emails, addresses) = Self.columns(sorted)
        let seconds = now.unixSeconds
        let expiries = sorted.map { seconds + Int64(keys[$0] ?? 0) }
        return try await run(.addFailure) { connection in
            // One statement; each row's update holds its row lock, so
            // concurrent failures on any instance are each counted once.
            try await Self.decode(
                try await connection.query(
                    """
                    INSERT INTO throttle_counters AS c (\(unescaped: CounterColumns.list))
                    SELECT k, e, i, 1, \(seconds), 0, x, 0
                    FROM unnest(\(kinds)::text[], \(emails)::text[], \(addresses)::text[], \(expiries)::bigint[]) AS t(k, e, i, x)
                    ON CONFLICT (kind, email, ip) DO UPDATE SET
                        failures = CASE WHEN c.failures_expire_at <= EXCLUDED.last_failure_at THEN 1 ELSE c.failures + 1 END,
                        previous_failure_at = CASE WHEN c.failures_expire_at <= EXCLUDED.last_failure_at THEN 0 ELSE c.last_failure_at END,
                        last_failure_at = EXCLUDED.last_failure_at,
                        failures_expire_at = EXCLUDED.failures_expire_at
                    RETURNING \(unescaped: CounterColumns.list)
                    """
                )
            )
        }
    }

    public func recordSuccess(pair: CounterKey, others: [CounterKey], knownUntil: Date) async throws {
        let (kinds, emails, addresses) = Self.columns(others)
        let known = knownUntil.unixSeconds
        _ = try await run(.recordSuccess) { connection in
            // The pair's row, made if it never failed: cleared and marked known.
            try await connection.query(
                """
                INSERT INTO throttle_counters AS c (\(unescaped: CounterColumns.list))
                VALUES (\(pair.kind.rawValue), \(pair.email), \(pair.address), 0, 0, 0, 0, \(known))
                ON CONFLICT (kind, email, ip) DO UPDATE SET failures = 0, known_until = GREATEST(c.known_until, EXCLUDED.known_until)
                """
            )
            guard !others.isEmpty else { return }
            // The others: the one failure the attempt was counted as, given back.
            try await connection.query(
                """
                UPDATE throttle_counters SET failures = GREATEST(failures - 1, 0)
                WHERE (kind, email, ip) IN (SELECT * FROM unnest(\(kinds)::text[], \(emails)::text[], \(addresses)::text[]))
                """
            )
        }
    }

    public func deleteCounters(email: String) async throws -> Int {
        try await run(.deleteCounters) { connection in
            var count = 0
            for try await _ in try await connection.query("DELETE FROM throttle_counters WHERE email = \(email) RETURNING 1").decode(Int32.self) {
                count += 1
            }
            return count
        }
    }

    public func activeCounters(now: Date) async throws -> [(key: CounterKey, counter: Counter)] {
        let seconds = now.unixSeconds
        return try await run(.counters) { connection in
            var counters: [(key: CounterKey, counter: Counter)] = []
            let rows = try await connection.query(
                "SELECT \(unescaped: CounterColumns.list) FROM throttle_counters WHERE failures > 0 AND failures_expire_at > \(seconds) ORDER BY failures DESC"
            )
            for try await row in rows.decode(CounterColumns.Row.self) {
                if let (key, counter) = CounterColumns.counter(row) { counters.append((key, counter)) }
            }
            return counters
        }
    }

    @discardableResult
    public func deleteExpiredCounters(now: Date) async throws -> Int {
        let seconds = now.unixSeconds
        return try await run(.deleteExpiredCounters, timeout: 60) { connection in
            var count = 0
            let rows = try await connection.query(
                "DELETE FROM throttle_counters WHERE failures_expire_at <= \(seconds) AND known_until <= \(seconds) RETURNING 1"
            )
            for try await _ in rows.decode(Int32.self) { count += 1 }
            return count
        }
    }
}

/// The read behind every login attempt's throttle check, as a named
/// prepared statement (like ``SessionLookup``): each pooled connection
/// parses and plans it once. A flood of throttled attempts is nothing but
/// this read, one per attempt, and PostgreSQL shares its cores with Lith.
struct CounterLookup: PostgresPreparedStatement {
    static let sql = """
        SELECT \(PostgresStore.CounterColumns.list) FROM throttle_counters
        WHERE (kind, email, ip) IN (SELECT * FROM unnest($1::text[], $2::text[], $3::text[]))
        """

    typealias Row = PostgresStore.CounterColumns.Row

    let kinds: [String]
    let emails: [String]
    let addresses: [String]

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 3)
        bindings.append(kinds)
        bindings.append(emails)
        bindings.append(addresses)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row {
        try row.decode(Row.self)
    }
}
