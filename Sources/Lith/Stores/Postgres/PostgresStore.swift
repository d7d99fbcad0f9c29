import Foundation
import Logging
import NIOCore
import PostgresNIO

/// The shared store: PostgreSQL through a pool of postgres-nio connections, for
/// many stateless `lith serve` instances. Every call has a deadline, so a
/// database that has gone away turns into a 503 in seconds, and the first
/// call after it is back connects again.
///
/// Each concern's SQL is in a file of its own: `PostgresStore+Users.swift`,
/// `+Sessions`, `+Secrets`.
public final class PostgresStore: StoreLifecycle {
    let pool: PostgresPool
    let deadlines = Deadlines()
    private let sweeper: Task<Void, Never>
    let sessionLookups: SessionLookups
    let logger: Logger
    let timeout: Double
    let faults: StoreFaults?
    /// Where the store points, without the password.
    public let displayName: String

    /// Connects to `url` and checks the server answers within `timeout` seconds.
    /// `password`, if given, is used instead of one in the URL (read from a
    /// file or the environment, so no process list shows it).
    public static func open(
        url: String,
        password: String? = nil,
        poolSize: Int = 10,
        timeout: Double = 5,
        logger: Logger = Logger(label: "lith.postgres")
    ) async throws -> PostgresStore {
        try await open(url: url, password: password, poolSize: poolSize, timeout: timeout, logger: logger, faults: nil)
    }

    /// As ``open(url:password:poolSize:timeout:logger:)``, with faults to inject.
    @_spi(Testing) public static func open(
        url: String,
        password: String? = nil,
        poolSize: Int = 10,
        timeout: Double = 5,
        logger: Logger = Logger(label: "lith.postgres"),
        faults: StoreFaults?
    ) async throws -> PostgresStore {
        let location = try PostgresLocation(url: url, password: password)
        if let warning = location.tlsWarning { logger.warning("\(warning)") }
        var configuration = PostgresConnection.Configuration(
            host: location.host,
            port: location.port,
            username: location.username,
            password: location.password,
            database: location.database,
            tls: try location.connectionTLS()
        )
        configuration.options.connectTimeout = .seconds(Int64(max(1, timeout)))
        configuration.options.additionalStartupParameters = location.startupParameters
        try await probe(configuration, location: location, timeout: timeout, logger: logger)
        // A request that can't get a connection gets a 503, which is logged
        // once; the connections' own log only needs warnings.
        var connectionLogger = logger
        connectionLogger.logLevel = max(logger.logLevel, .warning)
        let pool = PostgresPool(size: poolSize) { [configuration, connectionLogger] id in
            try await PostgresConnection.connect(configuration: configuration, id: id, logger: connectionLogger)
        }
        return PostgresStore(pool: pool, logger: logger, timeout: timeout, faults: faults, displayName: location.displayName)
    }

    /// One direct connection at start-up, so a wrong password or an
    /// unreachable host is reported as such at once, not as a timeout later.
    private static func probe(
        _ configuration: PostgresConnection.Configuration,
        location: PostgresLocation,
        timeout: Double,
        logger: Logger
    ) async throws {
        do {
            try await Deadlines.run(seconds: timeout) {
                let connection = try await PostgresConnection.connect(configuration: configuration, id: 0, logger: logger)
                try await connection.close()
            }
        } catch {
            throw StoreError.unavailable("can't reach PostgreSQL at \(location.displayName): \(Self.reason(error))")
        }
    }

    private init(pool: PostgresPool, logger: Logger, timeout: Double, faults: StoreFaults?, displayName: String) {
        self.pool = pool
        self.sessionLookups = SessionLookups(timeout: .milliseconds(Int64(timeout * 1000)), deadlines: deadlines) { [pool, logger] digests in
            try await pool.withConnection(turn: .first) { connection in
                try await Self.sessions(digests, connection: connection, logger: logger)
            }
        }
        self.logger = logger
        self.timeout = timeout
        self.faults = faults
        self.displayName = displayName
        self.sweeper = Task { [deadlines] in await deadlines.sweep() }
    }

    // MARK: migrations

    /// One transaction under an advisory lock: instances starting together
    /// queue here, and the second finds the work done.
    public func migrate() async throws {
        let logger = self.logger
        try await run(.migrate, timeout: 60) { connection in
            try await connection.withTransaction(logger: logger) { connection in
                try await connection.query("SELECT pg_advisory_xact_lock(\(Self.migrationLock))", logger: logger)
                try await connection.query(
                    "CREATE TABLE IF NOT EXISTS lith_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
                    logger: logger
                )
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
                        logger: logger
                    )
                    logger.info("applied migration \(migration.version): \(migration.name)")
                }
            }
        }
    }

    /// An arbitrary constant naming Lith's migration lock.
    static let migrationLock: Int64 = 0x4C49_5448  // "LITH"

    public func close() async throws {
        await sessionLookups.close()
        sweeper.cancel()
        await pool.close()
    }

    /// How many sessions there are, for tests.
    @_spi(Testing) public func sessionCount() async throws -> Int {
        try await run(.session) { connection in
            for try await count in try await connection.query("SELECT COUNT(*) FROM sessions").decode(Int64.self) { return Int(count) }
            return 0
        }
    }

    // MARK: running a call

    /// Runs a store call on a connection of its own under the deadline,
    /// turning driver errors into ``StoreError``.
    func run<T: Sendable>(
        _ operation: StoreOperation,
        timeout: Double? = nil,
        _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        try faults?.check(operation)
        return try await Self.translatingErrors {
            try await deadlines.run(seconds: timeout ?? self.timeout) { [pool] in try await pool.withConnection(body) }
        }
    }

    /// Driver errors as ``StoreError``: unavailable (503, try again) or a failure.
    static func translatingErrors<T>(_ body: () async throws -> T) async throws -> T {
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
            if let underlying = error.underlying { return "\(error.code): \(String(describing: underlying))" }
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
