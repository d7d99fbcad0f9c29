import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import SQLiteNIO

/// The embedded store: one SQLite file in WAL mode. Writes go through one
/// connection (SQLite allows one writer at a time anyway, and this keeps them
/// from fighting over the lock); reads spread over a few more, which WAL lets
/// run beside the writer. All of it runs on a thread pool of the store's own,
/// never on the event loops and never on the password hashing pool.
public final class SQLiteStore: Store {
    private let writer: SQLiteConnection
    private let readers: [SQLiteConnection]
    private let nextReader = NIOLockedValueBox(0)
    private let closing = NIOLockedValueBox<Task<Void, Never>?>(nil)
    private let threadPool: NIOThreadPool
    private let logger: Logger

    /// Opens (creating if needed) the database file at `path`.
    public static func open(path: String, readerCount: Int = 2, logger: Logger = Logger(label: "lith.sqlite")) async throws -> SQLiteStore {
        let threadPool = NIOThreadPool(numberOfThreads: readerCount + 1)
        threadPool.start()
        let eventLoop = MultiThreadedEventLoopGroup.singleton.any()
        var opened: [SQLiteConnection] = []
        do {
            for index in 0...max(1, readerCount) {
                let connection = try await SQLiteConnection.open(storage: .file(path: path), threadPool: threadPool, logger: logger, on: eventLoop)
                opened.append(connection)
                try await configure(connection, readOnly: index > 0)
            }
            return SQLiteStore(writer: opened[0], readers: Array(opened.dropFirst()), threadPool: threadPool, logger: logger)
        } catch {
            for connection in opened { try? await connection.close() }
            try? await threadPool.shutdownGracefully()
            throw StoreError.unavailable("can't open SQLite database at \(path): \(Self.reason(error))")
        }
    }

    private init(writer: SQLiteConnection, readers: [SQLiteConnection], threadPool: NIOThreadPool, logger: Logger) {
        self.writer = writer
        self.readers = readers
        self.threadPool = threadPool
        self.logger = logger
    }

    private static func configure(_ connection: SQLiteConnection, readOnly: Bool) async throws {
        // WAL: readers never block the writer or each other; NORMAL sync is
        // durable across application crashes and the recommended pairing with WAL.
        _ = try await connection.query("PRAGMA journal_mode = WAL")
        _ = try await connection.query("PRAGMA synchronous = NORMAL")
        _ = try await connection.query("PRAGMA foreign_keys = ON")
        // Another process (`lith user create` beside a running server) may hold
        // the write lock briefly; wait for it instead of failing.
        _ = try await connection.query("PRAGMA busy_timeout = 5000")
        if readOnly { _ = try await connection.query("PRAGMA query_only = ON") }
    }

    private var reader: SQLiteConnection {
        let index = nextReader.withLockedValue { value in
            value = (value + 1) % readers.count
            return value
        }
        return readers[index]
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
        try await run {
            let rows = try await reader.query(
                "SELECT id, email, password_hash, created_at, password_changed_at FROM users WHERE email = ?", [.text(email.value)])
            guard let row = rows.first else { return nil }
            guard let encoded = row.column("password_hash")?.string, let hash = try? PasswordHash(encoded: encoded) else {
                throw StoreError.failure("unreadable password hash for \(email)")
            }
            return (try Self.user(from: row, idColumn: "id", createdColumn: "created_at"), hash)
        }
    }

    public func users() async throws -> [User] {
        try await run {
            try await reader.query("SELECT id, email, created_at, password_changed_at FROM users ORDER BY id")
                .map { try Self.user(from: $0, idColumn: "id", createdColumn: "created_at") }
        }
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

    public func session(digest: SessionToken.Digest) async throws -> (SessionRecord, User)? {
        try await run {
            let rows = try await reader.query(
                """
                SELECT s.token_hash, s.user_id, s.created_at, s.last_seen_at, s.expires_at, s.idle_timeout, s.remember_me,
                       s.user_agent, s.ip, u.email, u.created_at AS user_created_at, u.password_changed_at
                FROM sessions s JOIN users u ON u.id = s.user_id
                WHERE s.token_hash = ?
                """,
                [.text(digest.hex)]
            )
            guard let row = rows.first else { return nil }
            let session = SessionRecord(
                tokenDigest: digest,
                userID: Int64(try Self.int(row, "user_id")),
                createdAt: Date(unixSeconds: Int64(try Self.int(row, "created_at"))),
                lastSeenAt: Date(unixSeconds: Int64(try Self.int(row, "last_seen_at"))),
                expiresAt: Date(unixSeconds: Int64(try Self.int(row, "expires_at"))),
                idleTimeout: TimeInterval(try Self.int(row, "idle_timeout")),
                rememberMe: try Self.int(row, "remember_me") != 0,
                userAgent: row.column("user_agent")?.string,
                ipAddress: row.column("ip")?.string
            )
            return (session, try Self.user(from: row, idColumn: "user_id", createdColumn: "user_created_at"))
        }
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
        try await run {
            try await reader.query("SELECT COUNT(*) AS n FROM sessions").first?.column("n")?.integer ?? 0
        }
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
            let task = Task { [readers, writer, threadPool] in
                for connection in readers + [writer] { try? await connection.close() }
                try? await threadPool.shutdownGracefully()
            }
            closing = task
            return task
        }
        await task.value
    }

    // MARK: decoding and errors

    private static func user(from row: SQLiteRow, idColumn: String, createdColumn: String) throws -> User {
        guard let email = row.column("email")?.string else { throw StoreError.failure("unreadable user row") }
        return User(
            id: Int64(try int(row, idColumn)),
            email: EmailAddress(stored: email),
            createdAt: Date(unixSeconds: Int64(try int(row, createdColumn))),
            passwordChangedAt: Date(unixSeconds: Int64(try int(row, "password_changed_at")))
        )
    }

    private static func int(_ row: SQLiteRow, _ column: String) throws -> Int {
        guard case .integer(let value) = row.column(column) else { throw StoreError.failure("column \(column) is not an integer") }
        return Int(value)
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
