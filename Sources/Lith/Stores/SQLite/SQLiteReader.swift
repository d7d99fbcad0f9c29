import CLithSQLite
import NIOConcurrencyHelpers
// The SQLite that sqlite-nio bundles, as its C module: sqlite-nio's product
// doesn't re-export it, but SwiftPM lets a package import the C modules of
// its dependencies. Its symbols carry a `sqlite_nio_` prefix, and its
// internals are why Package.swift pins sqlite-nio to an exact version.
import VaporCSQLite

/// The read side of the SQLite store, on the C API directly.
///
/// A signed-in page view is one indexed read; through a driver it was a hop
/// to a thread pool and back plus a fresh `sqlite3_prepare` (parsing the SQL)
/// every time, most of the store's cost. Here each read-only connection keeps
/// its statements prepared and runs on the calling thread: in WAL mode a read
/// never waits for the writer, and an indexed lookup takes microseconds, which
/// is cheaper than any thread hop. Each connection is used by one caller at a
/// time (its lock), so SQLite's own mutex is off (`NOMUTEX`).
///
/// A read blocks the thread it runs on, a cooperative-pool thread: for a few
/// microseconds as a rule, and at most ``busyTimeoutMilliseconds`` when WAL
/// recovery or a checkpoint reset holds the file, after which it fails as
/// unavailable (503) rather than holding the thread longer.
final class SQLiteReader: Sendable {
    /// The longest a read waits for the file before failing (see above).
    static let busyTimeoutMilliseconds: Int32 = 250

    private let connections: [NIOLockedValueBox<ReadConnection>]
    private let next = NIOLockedValueBox(0)

    init(path: String, count: Int) throws {
        connections = try (0..<max(1, count)).map { _ in NIOLockedValueBox(try ReadConnection(path: path)) }
    }

    /// Runs `sql` with `binds` and maps each row; the statement stays prepared.
    func rows<T>(_ sql: String, _ binds: [Bind] = [], _ map: (Row) throws -> T) throws -> [T] {
        let index = next.withLockedValue { value in
            value = (value + 1) % connections.count
            return value
        }
        return try connections[index].withLockedValue { try $0.rows(sql, binds, map) }
    }

    func close() {
        for connection in connections { connection.withLockedValue { $0.close() } }
    }

    /// How often SQLite re-prepared `sql` across the connections: should stay 0.
    func reprepares(of sql: String) -> Int {
        connections.reduce(0) { total, connection in total + connection.withLockedValue { $0.reprepares(of: sql) } }
    }

    enum Bind {
        case text(String)
        case integer(Int64)
    }

    /// A row being read; valid only inside the mapping closure.
    struct Row {
        fileprivate let statement: OpaquePointer

        func int(_ column: Int32) -> Int64 { sqlite_nio_sqlite3_column_int64(statement, column) }

        func isNull(_ column: Int32) -> Bool { sqlite_nio_sqlite3_column_type(statement, column) == SQLITE_NULL }

        func text(_ column: Int32) -> String? {
            guard let pointer = sqlite_nio_sqlite3_column_text(statement, column) else { return nil }
            return String(cString: pointer)
        }
    }

    struct Failure: Error, CustomStringConvertible {
        let code: Int32
        let message: String
        var description: String { "SQLite error \(code): \(message)" }
        /// Busy, locked, I/O, full, can't open: worth a 503 and a retry. (The
        /// extended codes carry the primary one in their low byte.)
        var isTransient: Bool {
            [SQLITE_BUSY, SQLITE_LOCKED, SQLITE_IOERR, SQLITE_FULL, SQLITE_CANTOPEN].contains(code & 0xFF)
        }
    }

    /// One connection and its prepared statements. Not thread-safe on its own.
    final class ReadConnection: @unchecked Sendable {
        private var handle: OpaquePointer?
        /// A few statements, found by a linear scan: the SQL is a static
        /// string, so comparing it with itself is a pointer check, where a
        /// dictionary would hash all of it on every read.
        private var statements: [(sql: String, statement: OpaquePointer)] = []

        init(path: String) throws {
            let flags = SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI | SQLITE_OPEN_EXRESCODE
            let status = sqlite_nio_sqlite3_open_v2(path, &handle, flags, nil)
            guard status == SQLITE_OK else {
                let failure = Failure(code: status, message: "can't open \(path) for reading")
                sqlite_nio_sqlite3_close(handle)
                throw failure
            }
            // Readers wait only for WAL recovery or a checkpoint reset, rarely and briefly.
            sqlite_nio_sqlite3_busy_timeout(handle, SQLiteReader.busyTimeoutMilliseconds)
            // Without the planner-stability guarantee, binding a new token to
            // `token_hash = ?` marks the statement for a re-prepare on every
            // run (SQLite re-plans for bound values), undoing the point of
            // keeping it prepared. Lith's reads are all key lookups: one plan fits.
            lith_sqlite_enable_qpsg(UnsafeMutableRawPointer(handle))
        }

        func rows<T>(_ sql: String, _ binds: [Bind], _ map: (Row) throws -> T) throws -> [T] {
            let statement = try prepared(sql)
            defer {
                sqlite_nio_sqlite3_reset(statement)
                sqlite_nio_sqlite3_clear_bindings(statement)
            }
            for (offset, bind) in binds.enumerated() {
                let index = Int32(offset + 1)
                let status: Int32
                switch bind {
                case .integer(let value): status = sqlite_nio_sqlite3_bind_int64(statement, index, value)
                case .text(let value): status = sqlite_nio_sqlite3_bind_text(statement, index, value, -1, transient)
                }
                guard status == SQLITE_OK else { throw failure(status) }
            }
            var results: [T] = []
            while true {
                let status = sqlite_nio_sqlite3_step(statement)
                if status == SQLITE_DONE { return results }
                guard status == SQLITE_ROW else { throw failure(status) }
                results.append(try map(Row(statement: statement)))
            }
        }

        private func prepared(_ sql: String) throws -> OpaquePointer {
            if let cached = statements.first(where: { $0.sql == sql }) { return cached.statement }
            var statement: OpaquePointer?
            let status = sqlite_nio_sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
            guard status == SQLITE_OK, let statement else { throw failure(status) }
            statements.append((sql, statement))
            return statement
        }

        private func failure(_ status: Int32) -> Failure {
            Failure(code: status, message: handle.flatMap { sqlite_nio_sqlite3_errmsg($0) }.map { String(cString: $0) } ?? "unknown")
        }

        func reprepares(of sql: String) -> Int {
            statements.first { $0.sql == sql }.map { Int(sqlite_nio_sqlite3_stmt_status($0.statement, SQLITE_STMTSTATUS_REPREPARE, 0)) } ?? 0
        }

        func close() {
            for cached in statements { sqlite_nio_sqlite3_finalize(cached.statement) }
            statements = []
            sqlite_nio_sqlite3_close(handle)
            handle = nil
        }
    }
}

/// SQLite copies the bound text before the call returns.
private let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
