import Foundation
import Logging
import NIOCore
import PostgresNIO

/// The shared store: PostgreSQL through postgres-nio's connection pool, for
/// many stateless `lith serve` instances. Every call has a deadline, so a
/// database that has gone away turns into a 503 in seconds, and the pool
/// reconnects by itself when it is back.
public final class PostgresStore: Store {
    private let client: PostgresClient
    private let runner: Task<Void, Never>
    private let deadlines = Deadlines()
    private let sweeper: Task<Void, Never>
    private let sessionLookups: LookupBatcher<SessionToken.Digest, (SessionRecord, User)>
    private let logger: Logger
    private let timeout: Double
    /// Where the store points, without the password.
    public let displayName: String

    /// Connects to `url` and checks the server answers within `timeout` seconds.
    /// `password`, if given, is used instead of one in the URL (read from a
    /// file or the environment, so no process list shows it).
    public static func open(
        url: String, password: String? = nil, poolSize: Int = 10, timeout: Double = 5, logger: Logger = Logger(label: "lith.postgres")
    ) async throws -> PostgresStore {
        let location = try PostgresLocation(url: url, password: password)
        if let warning = location.tlsWarning { logger.warning("\(warning)") }
        var configuration = PostgresClient.Configuration(
            host: location.host, port: location.port, username: location.username, password: location.password,
            database: location.database, tls: location.tls)
        configuration.options.maximumConnections = max(1, poolSize)
        // A fixed pool with no keep-alive pings: the pool arms an idle timer
        // and a keep-alive timer each time a connection goes back, and on this
        // toolchain a cancelled sleep keeps its memory until its deadline
        // (30 and 60 s), so under load the server held ~1 KB per query for a
        // minute (measured: +15 MiB per 8 s of dashboard load). Connections
        // the server closes are noticed by their sockets; one that dies
        // silently fails its next query with a 503 and is replaced.
        configuration.options.minimumConnections = max(1, poolSize)
        configuration.options.keepAliveBehavior = nil
        configuration.options.connectTimeout = .seconds(Int64(max(1, timeout)))
        configuration.options.additionalStartupParameters = location.startupParameters
        try await probe(location, timeout: timeout, logger: logger)
        // The pool retries failed connections on its own and logs each attempt
        // at info; a request that can't get one within the deadline gets a 503,
        // which is logged once, so the pool's own log only needs warnings.
        var poolLogger = logger
        poolLogger.logLevel = max(logger.logLevel, .warning)
        let client = PostgresClient(configuration: configuration, backgroundLogger: poolLogger)
        return PostgresStore(client: client, logger: logger, timeout: timeout, displayName: location.displayName)
    }

    /// One direct connection at start-up, so a wrong password or an
    /// unreachable host is reported as such at once, not as a pool timeout.
    private static func probe(_ location: PostgresLocation, timeout: Double, logger: Logger) async throws {
        do {
            try await Deadlines.run(seconds: timeout) {
                var configuration = PostgresConnection.Configuration(
                    host: location.host, port: location.port, username: location.username, password: location.password,
                    database: location.database, tls: try location.connectionTLS())
                configuration.options.connectTimeout = .seconds(Int64(max(1, timeout)))
                configuration.options.additionalStartupParameters = location.startupParameters
                let connection = try await PostgresConnection.connect(configuration: configuration, id: 0, logger: logger)
                try await connection.close()
            }
        } catch {
            throw StoreError.unavailable("can't reach PostgreSQL at \(location.displayName): \(Self.reason(error))")
        }
    }

    private init(client: PostgresClient, logger: Logger, timeout: Double, displayName: String) {
        self.client = client
        // One lookup query in flight at a time, answering every lookup that
        // arrived meanwhile. Measured on 2 cores under dashboard load: with
        // up to 5 in flight a query carried 3.4 lookups and a page view cost
        // 72 µs of PostgreSQL CPU and 211 of Lith's; with 1 it carried 12
        // and cost 18 and 152, and req/s rose by half. The rest of the pool
        // stays free for writes and logins, so lookups never queue inside it
        // (a queued lease also held memory, measured).
        self.sessionLookups = LookupBatcher(
            maximumInFlight: 1,
            boundWait: { [deadlines] register in try await Self.translatingErrors { try await deadlines.wait(seconds: timeout, register) } }
        ) { [client, deadlines] digests in
            try await Self.sessions(digests, client: client, deadlines: deadlines, timeout: timeout)
        }
        self.logger = logger
        self.timeout = timeout
        self.displayName = displayName
        self.runner = Task { await client.run() }
        self.sweeper = Task { [deadlines] in await deadlines.sweep() }
    }

    // MARK: migrations

    /// One transaction under an advisory lock: instances starting together
    /// queue here, and the second finds the work done.
    public func migrate() async throws {
        let logger = self.logger
        try await run(timeout: 60) { [client] in
            try await client.withTransaction(logger: logger) { connection in
                try await connection.query("SELECT pg_advisory_xact_lock(\(Self.migrationLock))", logger: logger)
                try await connection.query(
                    "CREATE TABLE IF NOT EXISTS lith_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
                    logger: logger)
                var applied = Set<Int>()
                for try await version in try await connection.query("SELECT version FROM lith_migrations", logger: logger).decode(Int.self) {
                    applied.insert(version)
                }
                for migration in Migrations.all where !applied.contains(migration.version) {
                    for statement in migration.postgres {
                        try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                    }
                    try await connection.query(
                        "INSERT INTO lith_migrations (version, name, applied_at) VALUES (\(migration.version), \(migration.name), \(Date().unixSeconds))",
                        logger: logger)
                    logger.info("applied migration \(migration.version): \(migration.name)")
                }
            }
        }
    }

    /// An arbitrary constant naming Lith's migration lock.
    static let migrationLock: Int64 = 0x4C49_5448  // "LITH"

    // MARK: users

    public func insertUser(email: EmailAddress, passwordHash: PasswordHash, at now: Date) async throws -> User {
        let seconds = now.unixSeconds
        let id: Int64 = try await run { [client] in
            do {
                let rows = try await client.query(
                    """
                    INSERT INTO users (email, password_hash, created_at, password_changed_at)
                    VALUES (\(email.value), \(passwordHash.encoded), \(seconds), \(seconds)) RETURNING id
                    """)
                for try await id in rows.decode(Int64.self) { return id }
                throw StoreError.failure("insert returned no id")
            } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" {
                throw StoreError.emailTaken
            }
        }
        return User(id: id, email: email, createdAt: Date(unixSeconds: seconds), passwordChangedAt: Date(unixSeconds: seconds))
    }

    public func user(email: EmailAddress) async throws -> User? {
        try await credentials(email: email)?.0
    }

    public func credentials(email: EmailAddress) async throws -> (User, PasswordHash)? {
        try await run { [client] in
            let rows = try await client.query(
                "SELECT id, email, created_at, password_changed_at, password_hash FROM users WHERE email = \(email.value)")
            for try await row in rows.decode((Int64, String, Int64, Int64, String).self) {
                guard let hash = try? PasswordHash(encoded: row.4) else { throw StoreError.failure("unreadable password hash for \(email)") }
                return (Self.user((row.0, row.1, row.2, row.3)), hash)
            }
            return nil
        }
    }

    public func users() async throws -> [User] {
        try await run { [client] in
            var users: [User] = []
            let rows = try await client.query("SELECT id, email, created_at, password_changed_at FROM users ORDER BY id")
            for try await row in rows.decode((Int64, String, Int64, Int64).self) { users.append(Self.user(row)) }
            return users
        }
    }

    public func deleteUser(email: EmailAddress) async throws -> Bool {
        try await run { [client] in
            for try await _ in try await client.query("DELETE FROM users WHERE email = \(email.value) RETURNING id").decode(Int64.self) {
                return true
            }
            return false
        }
    }

    public func updatePasswordHash(userID: User.ID, to hash: PasswordHash) async throws {
        _ = try await run { [client] in
            try await client.query("UPDATE users SET password_hash = \(hash.encoded) WHERE id = \(userID)")
        }
    }

    // MARK: sessions

    public func insertSession(_ session: SessionRecord) async throws {
        _ = try await run { [client] in
            try await client.query(
                """
                INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, expires_at, idle_timeout, remember_me, user_agent, ip)
                VALUES (\(session.tokenDigest.hex), \(session.userID), \(session.createdAt.unixSeconds), \(session.lastSeenAt.unixSeconds),
                        \(session.expiresAt.unixSeconds), \(Int64(session.idleTimeout)), \(session.rememberMe), \(session.userAgent), \(session.ipAddress))
                """)
        }
    }

    public func session(digest: SessionToken.Digest) async throws -> (SessionRecord, User)? {
        try await sessionLookups.value(for: digest)
    }

    /// One query for every digest in `digests`.
    private static func sessions(
        _ digests: [SessionToken.Digest], client: PostgresClient, deadlines: Deadlines, timeout: Double
    ) async throws -> [SessionToken.Digest: (SessionRecord, User)] {
        try await run(deadlines: deadlines, timeout: timeout) {
            let byHex = Dictionary(digests.map { ($0.hex, $0) }, uniquingKeysWith: { first, _ in first })
            var found: [SessionToken.Digest: (SessionRecord, User)] = [:]
            for try await row in try await client.execute(SessionLookup(tokenHashes: Array(byHex.keys))) {
                guard let digest = byHex[row.0] else { continue }
                let session = SessionRecord(
                    tokenDigest: digest, userID: row.1, createdAt: Date(unixSeconds: row.2), lastSeenAt: Date(unixSeconds: row.3),
                    expiresAt: Date(unixSeconds: row.4), idleTimeout: TimeInterval(row.5), rememberMe: row.6, userAgent: row.7, ipAddress: row.8)
                found[digest] = (session, Self.user((row.1, row.9, row.10, row.11)))
            }
            return found
        }
    }

    public func touchSession(digest: SessionToken.Digest, lastSeenAt: Date) async throws {
        _ = try await run { [client] in
            try await client.query("UPDATE sessions SET last_seen_at = \(lastSeenAt.unixSeconds) WHERE token_hash = \(digest.hex)")
        }
    }

    public func deleteSession(digest: SessionToken.Digest) async throws {
        _ = try await run { [client] in
            try await client.query("DELETE FROM sessions WHERE token_hash = \(digest.hex)")
        }
    }

    public func deleteSessions(userID: User.ID) async throws {
        _ = try await run { [client] in
            try await client.query("DELETE FROM sessions WHERE user_id = \(userID)")
        }
    }

    @discardableResult
    public func deleteExpiredSessions(now: Date) async throws -> Int {
        let seconds = now.unixSeconds
        return try await run(timeout: 60) { [client] in
            // Idempotent: instances purging at once delete disjoint or no rows.
            var count = 0
            let rows = try await client.query(
                "DELETE FROM sessions WHERE expires_at <= \(seconds) OR last_seen_at + idle_timeout <= \(seconds) RETURNING 1")
            for try await _ in rows.decode(Int32.self) { count += 1 }
            return count
        }
    }

    public func sessionCount() async throws -> Int {
        try await run { [client] in
            for try await count in try await client.query("SELECT COUNT(*) FROM sessions").decode(Int64.self) { return Int(count) }
            return 0
        }
    }

    // MARK: secrets

    public func sharedSecret(named name: String, candidate: [UInt8]) async throws -> [UInt8] {
        try await run { [client] in
            try await client.query(
                "INSERT INTO lith_secrets (name, value) VALUES (\(name), \(ByteBuffer(bytes: candidate))) ON CONFLICT (name) DO NOTHING")
            for try await value in try await client.query("SELECT value FROM lith_secrets WHERE name = \(name)").decode(ByteBuffer.self) {
                return Array(value.readableBytesView)
            }
            throw StoreError.failure("secret \(name) is missing")
        }
    }

    public func close() async throws {
        runner.cancel()
        sweeper.cancel()
        await runner.value
    }

    // MARK: plumbing

    private static func user(_ row: (Int64, String, Int64, Int64)) -> User {
        User(id: row.0, email: EmailAddress(stored: row.1), createdAt: Date(unixSeconds: row.2), passwordChangedAt: Date(unixSeconds: row.3))
    }

    /// Runs a store call under the deadline, turning driver errors into ``StoreError``.
    private func run<T: Sendable>(timeout: Double? = nil, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await Self.run(deadlines: deadlines, timeout: timeout ?? self.timeout, body)
    }

    private static func run<T: Sendable>(deadlines: Deadlines, timeout: Double, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await translatingErrors { try await deadlines.run(seconds: timeout, body) }
    }

    /// Driver errors as ``StoreError``: unavailable (503, try again) or a failure.
    private static func translatingErrors<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as StoreError {
            throw error
        } catch let error as PSQLError {
            if error.code == .server, !Self.meansUnavailable(sqlState: error.serverInfo?[.sqlState]) {
                throw StoreError.failure(Self.reason(error))
            }
            throw StoreError.unavailable(Self.reason(error))
        } catch {
            throw StoreError.unavailable(Self.reason(error))
        }
    }

    /// SQLSTATEs that say "try again soon" rather than "this is wrong":
    /// connection trouble (08), too many connections (53), shutdown or
    /// restart (57), serialization failures and deadlocks (40), and a
    /// read-only primary during failover (25006). Like SQLite's busy/locked,
    /// they become 503s.
    static func meansUnavailable(sqlState: String?) -> Bool {
        guard let sqlState else { return false }
        return ["08", "53", "57", "40"].contains(String(sqlState.prefix(2))) || sqlState == "25006"
    }

    static func reason(_ error: any Error) -> String {
        if let error = error as? PSQLError {
            if let message = error.serverInfo?[.message] { return message }
            switch error.code {
            case .connectionError: return "connection refused or host unreachable"
            case .serverClosedConnection: return "the server closed the connection"
            case .sslUnsupported: return "the server does not support TLS (add ?sslmode=disable)"
            default: break
            }
            return "\(error.code)"
        }
        if let error = error as? StoreError {
            switch error {
            case .unavailable(let reason), .failure(let reason): return reason
            case .emailTaken: return "email taken"
            }
        }
        return String(describing: error)
    }
}
