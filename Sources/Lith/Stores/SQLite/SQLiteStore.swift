import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import SQLiteNIO

/// The embedded store: one SQLite file in WAL mode. Writes go through one
/// connection (SQLite allows one writer at a time anyway, and this keeps them
/// from fighting over the lock) on a thread of the store's own, since a write
/// may wait for another process's lock. Reads use a few read-only connections
/// with prepared statements on the calling thread (``SQLiteReader``): WAL lets
/// them run beside the writer without waiting.
///
/// Each concern's SQL is in a file of its own: `SQLiteStore+Users.swift`,
/// `+Sessions`, `+Secrets`.
public final class SQLiteStore: StoreLifecycle {
    let writer: SQLiteConnection
    let reader: SQLiteReader
    private let closing = NIOLockedValueBox<Task<Void, Never>?>(nil)
    private let threadPool: NIOThreadPool
    let logger: Logger
    let faults: StoreFaults?

    /// Opens the database file at `path`, creating it (owner-only, 0600) if
    /// it is missing, unless `mustExist`.
    public static func open(
        path: String,
        mustExist: Bool = false,
        readerCount: Int = System.coreCount,
        logger: Logger = Logger(label: "lith.sqlite")
    ) async throws -> SQLiteStore {
        try await open(path: path, mustExist: mustExist, readerCount: readerCount, logger: logger, faults: nil)
    }

    /// As ``open(path:mustExist:readerCount:logger:)``, with faults to inject.
    @_spi(Testing) public static func open(
        path: String,
        mustExist: Bool = false,
        readerCount: Int = System.coreCount,
        logger: Logger = Logger(label: "lith.sqlite"),
        faults: StoreFaults?
    ) async throws -> SQLiteStore {
        // A missing file or folder is a mistake in the path (DatabaseFile.Problem), not a store that is away.
        if let mode = try DatabaseFile.prepare(path, mustExist: mustExist) {
            logger.warning(
                "the database file can be read by other users: it holds password hashes and the CSRF key; run chmod 600 on it",
                metadata: ["path": "\(path)", "mode": "\(String(mode, radix: 8))"]
            )
        }
        let threadPool = NIOThreadPool(numberOfThreads: 1)
        threadPool.start()
        let eventLoop = MultiThreadedEventLoopGroup.singleton.any()
        var writer: SQLiteConnection?
        do {
            let connection = try await SQLiteConnection.open(storage: .file(path: path), threadPool: threadPool, logger: logger, on: eventLoop)
            writer = connection
            try await configure(connection)
            // After the writer: it switches the file to WAL.
            let reader = try SQLiteReader(path: path, count: readerCount)
            return SQLiteStore(writer: connection, reader: reader, threadPool: threadPool, logger: logger, faults: faults)
        } catch {
            try? await writer?.close()
            try? await threadPool.shutdownGracefully()
            throw StoreError.unavailable("can't open SQLite database at \(path): \(Self.reason(error))")
        }
    }

    private init(writer: SQLiteConnection, reader: SQLiteReader, threadPool: NIOThreadPool, logger: Logger, faults: StoreFaults?) {
        self.writer = writer
        self.reader = reader
        self.threadPool = threadPool
        self.logger = logger
        self.faults = faults
    }

    private static func configure(_ connection: SQLiteConnection) async throws {
        // WAL: readers never block the writer or each other; NORMAL sync is
        // durable across application crashes and the recommended pairing with WAL.
        _ = try await connection.query("PRAGMA journal_mode = WAL")
        _ = try await connection.query("PRAGMA synchronous = NORMAL")
        _ = try await connection.query("PRAGMA foreign_keys = ON")
        // Another process (`lith user create` beside a running server) may hold
        // the write lock briefly; wait for it instead of failing.
        _ = try await connection.query("PRAGMA busy_timeout = 5000")
    }

    // MARK: migrations

    public func migrate() async throws {
        try await write(.migrate) {
            _ = try await writer.query("BEGIN IMMEDIATE")
            do {
                _ = try await writer.query(
                    "CREATE TABLE IF NOT EXISTS lith_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)"
                )
                let applied = Set(try await writer.query("SELECT version FROM lith_migrations").compactMap { $0.column("version")?.integer })
                for migration in Migrations.all where !applied.contains(migration.version) {
                    for statement in migration.sqlite { _ = try await writer.query(statement) }
                    _ = try await writer.query(
                        "INSERT INTO lith_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                        [.integer(migration.version), .text(migration.name), .integer(Int(Date().unixSeconds))]
                    )
                    logger.info("applied migration \(migration.version): \(migration.name)")
                }
                _ = try await writer.query("COMMIT")
            } catch {
                _ = try? await writer.query("ROLLBACK")
                throw error
            }
        }
    }

    /// Closes the connections and the thread pool. Every call waits for the
    /// same closing, which runs in a task of its own so that a caller being
    /// cancelled (a service group tearing down) can't leave it half done.
    public func close() async throws {
        let task = closing.withLockedValue { closing in
            if let closing { return closing }
            let task = Task { [reader, writer, threadPool] in
                reader.close()
                try? await writer.close()
                try? await threadPool.shutdownGracefully()
            }
            closing = task
            return task
        }
        await task.value
    }

    /// How many sessions there are, for tests.
    @_spi(Testing) public func sessionCount() async throws -> Int {
        Int(try read(.session, "SELECT COUNT(*) FROM sessions") { $0.int(0) }.first ?? 0)
    }

    // MARK: reads, writes and their errors

    /// A read on the calling thread (see ``SQLiteReader``), errors as ``StoreError``.
    func read<T>(_ operation: StoreOperation, _ sql: String, _ binds: [SQLiteReader.Bind] = [], _ map: (SQLiteReader.Row) throws -> T) throws -> [T] {
        try faults?.check(operation)
        do {
            return try reader.rows(sql, binds, map)
        } catch let failure as SQLiteReader.Failure {
            throw failure.isTransient ? StoreError.unavailable(failure.description) : StoreError.failure(failure.description)
        }
    }

    /// A statement on the writer connection, errors as ``StoreError``.
    func write<T>(_ operation: StoreOperation, _ body: () async throws -> T) async throws -> T {
        try faults?.check(operation)
        do {
            return try await body()
        } catch let error as StoreError {
            throw error
        } catch {
            throw Self.translate(error)
        }
    }

    static func isUniqueViolation(_ error: SQLiteError) -> Bool {
        switch error.reason {
        case .constraint, .constraintUniqueFailed, .constraintPrimaryKeyFailed: true
        default: false
        }
    }

    private static func translate(_ error: any Error) -> StoreError {
        if let error = error as? SQLiteError {
            switch error.reason {
            case .busy, .locked, .busyTimeout, .busyInRecovery, .busyInSnapshot, .cantOpen, .ioError, .full, .readOnly:
                return .unavailable(error.message)
            default:
                return .failure(error.message)
            }
        }
        return .unavailable(reason(error))
    }

    private static func reason(_ error: any Error) -> String {
        (error as? SQLiteError)?.message ?? String(describing: error)
    }
}
