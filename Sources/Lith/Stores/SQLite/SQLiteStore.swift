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
public final class SQLiteStore: Store {
    private let writer: SQLiteConnection
    let reader: SQLiteReader
    private let closing = NIOLockedValueBox<Task<Void, Never>?>(nil)
    private let threadPool: NIOThreadPool
    private let logger: Logger

    /// Opens the database file at `path`, creating it (owner-only, 0600) if
    /// it is missing, unless `mustExist`.
    public static func open(
        path: String, mustExist: Bool = false, readerCount: Int = System.coreCount, logger: Logger = Logger(label: "lith.sqlite")
    ) async throws -> SQLiteStore {
        do {
            if let mode = try DatabaseFile.prepare(path, mustExist: mustExist) {
                logger.warning(
                    "the database file can be read by other users: it holds password hashes and the CSRF key; run chmod 600 on it",
                    metadata: ["path": "\(path)", "mode": "\(String(mode, radix: 8))"])
            }
        } catch {
            throw StoreError.unavailable(error.description)
        }
        let threadPool = NIOThreadPool(numberOfThreads: 1)
        threadPool.start()
        let eventLoop = MultiThreadedEventLoopGroup.singleton.any()
        var writer: SQLiteConnection?
        do {
            let connection = try await SQLiteConnection.open(storage: .file(path: path), threadPool: threadPool, logger: logger, on: eventLoop)
            writer = connection
            try await configure(connection)
            // After the writer: it creates the file and switches it to WAL.
            let reader = try SQLiteReader(path: path, count: readerCount)
            return SQLiteStore(writer: connection, reader: reader, threadPool: threadPool, logger: logger)
        } catch {
            try? await writer?.close()
            try? await threadPool.shutdownGracefully()
            throw StoreError.unavailable("can't open SQLite database at \(path): \(Self.reason(error))")
        }
    }

    private init(writer: SQLiteConnection, reader: SQLiteReader, threadPool: NIOThreadPool, logger: Logger) {
        self.writer = writer
        self.reader = reader
        self.threadPool = threadPool
        self.logger = logger
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
        try await run {
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

    // MARK: users

    public func insertUser(email: EmailAddress, passwordHash: PasswordHash, at now: Date) async throws -> User {
        let rows: [SQLiteRow]
        do {
            rows = try await writer.query(
                "INSERT INTO users (email, password_hash, created_at, password_changed_at) VALUES (?, ?, ?, ?) RETURNING id",
                [.text(email.value), .text(passwordHash.encoded), .integer(Int(now.unixSeconds)), .integer(Int(now.unixSeconds))]
            )
        } catch let error as SQLiteError where Self.isUniqueViolation(error) {
            throw StoreError.emailTaken
        } catch {
            throw Self.translate(error)
        }
        guard let id = rows.first?.column("id")?.integer else { throw StoreError.failure("insert returned no id") }
        return User(id: Int64(id), email: email, createdAt: Date(unixSeconds: now.unixSeconds), passwordChangedAt: Date(unixSeconds: now.unixSeconds))
    }

    public func user(email: EmailAddress) async throws -> User? {
        try await credentials(email: email)?.0
    }

    public func credentials(email: EmailAddress) async throws -> (User, PasswordHash)? {
        try read(
            "SELECT id, email, created_at, password_changed_at, password_hash FROM users WHERE email = ?", [.text(email.value)]
        ) { row -> (User, PasswordHash) in
            guard let encoded = row.text(4), let hash = try? PasswordHash(encoded: encoded) else {
                throw StoreError.failure("unreadable password hash for \(email)")
            }
            return (try Self.user(row), hash)
        }.first
    }

    public func users() async throws -> [User] {
        try read("SELECT id, email, created_at, password_changed_at FROM users ORDER BY id") { try Self.user($0) }
    }

    public func deleteUser(email: EmailAddress) async throws -> Bool {
        try await run {
            !(try await writer.query("DELETE FROM users WHERE email = ? RETURNING id", [.text(email.value)]).isEmpty)
        }
    }

    public func updatePasswordHash(userID: User.ID, to hash: PasswordHash) async throws {
        try await run {
            _ = try await writer.query("UPDATE users SET password_hash = ? WHERE id = ?", [.text(hash.encoded), .integer(Int(userID))])
        }
    }

    // MARK: sessions

    public func insertSession(_ session: SessionRecord) async throws {
        try await run {
            _ = try await writer.query(
                """
                INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, expires_at, idle_timeout, remember_me, user_agent, ip)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [
                    .text(session.tokenDigest.hex), .integer(Int(session.userID)), .integer(Int(session.createdAt.unixSeconds)),
                    .integer(Int(session.lastSeenAt.unixSeconds)), .integer(Int(session.expiresAt.unixSeconds)),
                    .integer(Int(session.idleTimeout)), .integer(session.rememberMe ? 1 : 0),
                    session.userAgent.map { .text($0) } ?? .null, session.ipAddress.map { .text($0) } ?? .null,
                ]
            )
        }
    }

    /// The one read behind every signed-in page view.
    static let sessionQuery = """
            SELECT u.id, u.email, u.created_at, u.password_changed_at,
                   s.created_at, s.last_seen_at, s.expires_at, s.idle_timeout, s.remember_me, s.user_agent, s.ip
            FROM sessions s JOIN users u ON u.id = s.user_id
            WHERE s.token_hash = ?
            """

    public func session(digest: SessionToken.Digest) async throws -> (SessionRecord, User)? {
        try read(
            Self.sessionQuery,
            [.text(digest.hex)]
        ) { row -> (SessionRecord, User) in
            let user = try Self.user(row)
            let session = SessionRecord(
                tokenDigest: digest, userID: user.id, createdAt: Date(unixSeconds: row.int(4)), lastSeenAt: Date(unixSeconds: row.int(5)),
                expiresAt: Date(unixSeconds: row.int(6)), idleTimeout: TimeInterval(row.int(7)), rememberMe: row.int(8) != 0,
                userAgent: row.text(9), ipAddress: row.text(10))
            return (session, user)
        }.first
    }

    public func touchSession(digest: SessionToken.Digest, lastSeenAt: Date) async throws {
        try await run {
            _ = try await writer.query(
                "UPDATE sessions SET last_seen_at = ? WHERE token_hash = ?", [.integer(Int(lastSeenAt.unixSeconds)), .text(digest.hex)])
        }
    }

    public func deleteSession(digest: SessionToken.Digest) async throws {
        try await run {
            _ = try await writer.query("DELETE FROM sessions WHERE token_hash = ?", [.text(digest.hex)])
        }
    }

    public func deleteSessions(userID: User.ID) async throws {
        try await run {
            _ = try await writer.query("DELETE FROM sessions WHERE user_id = ?", [.integer(Int(userID))])
        }
    }

    @discardableResult
    public func deleteExpiredSessions(now: Date) async throws -> Int {
        try await run {
            let now = Int(now.unixSeconds)
            return try await writer.query(
                "DELETE FROM sessions WHERE expires_at <= ? OR last_seen_at + idle_timeout <= ? RETURNING token_hash",
                [.integer(now), .integer(now)]
            ).count
        }
    }

    public func sessionCount() async throws -> Int {
        Int(try read("SELECT COUNT(*) FROM sessions") { $0.int(0) }.first ?? 0)
    }

    // MARK: secrets

    public func sharedSecret(named name: String, candidate: [UInt8]) async throws -> [UInt8] {
        try await run {
            _ = try await writer.query(
                "INSERT INTO lith_secrets (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
                [.text(name), .blob(ByteBuffer(bytes: candidate))]
            )
            guard case .blob(let buffer) = try await writer.query("SELECT value FROM lith_secrets WHERE name = ?", [.text(name)]).first?.column("value")
            else { throw StoreError.failure("secret \(name) is missing") }
            return Array(buffer.readableBytesView)
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

    // MARK: decoding and errors

    /// A user from the first four columns: id, email, created_at, password_changed_at.
    private static func user(_ row: SQLiteReader.Row) throws -> User {
        guard let email = row.text(1) else { throw StoreError.failure("unreadable user row") }
        return User(id: row.int(0), email: EmailAddress(stored: email), createdAt: Date(unixSeconds: row.int(2)), passwordChangedAt: Date(unixSeconds: row.int(3)))
    }

    /// A read on the calling thread (see ``SQLiteReader``), errors as ``StoreError``.
    private func read<T>(_ sql: String, _ binds: [SQLiteReader.Bind] = [], _ map: (SQLiteReader.Row) throws -> T) throws -> [T] {
        do {
            return try reader.rows(sql, binds, map)
        } catch let failure as SQLiteReader.Failure {
            throw failure.isTransient ? StoreError.unavailable(failure.description) : StoreError.failure(failure.description)
        }
    }

    /// Runs a store operation, turning driver errors into ``StoreError``.
    private func run<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as StoreError {
            throw error
        } catch {
            throw Self.translate(error)
        }
    }

    private static func isUniqueViolation(_ error: SQLiteError) -> Bool {
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
