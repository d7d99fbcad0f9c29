import Foundation
@_spi(Testing) import Lith
import Logging
import PostgresNIO

/// The stores every conformance test runs against: SQLite always, PostgreSQL
/// when `LITH_TEST_POSTGRES_URL` names a server (and always under CI, where a
/// missing URL is a failure, not a skip).
public enum StoreKind: String, CustomStringConvertible, CaseIterable, Sendable {
    case sqlite
    case postgres

    public var description: String { rawValue }

    public static var available: [StoreKind] {
        PostgresTestDatabase.url != nil || PostgresTestDatabase.isCI ? [.sqlite, .postgres] : [.sqlite]
    }

    /// A fresh, migrated, empty store and a way to throw it away.
    @_spi(Testing) public func make(faults: StoreFaults?) async throws -> (any Store, @Sendable () async -> Void) {
        switch self {
        case .sqlite:
            let database = TemporaryDatabase()
            let store = try await SQLiteStore.open(path: database.path, faults: faults)
            try await store.migrate()
            return (
                store,
                {
                    try? await store.close()
                    database.remove()
                }
            )
        case .postgres:
            return try await PostgresTestDatabase.freshStore(faults: faults)
        }
    }

    /// A fresh, migrated, empty store and a way to throw it away.
    public func make() async throws -> (any Store, @Sendable () async -> Void) {
        try await make(faults: nil)
    }

    /// Runs `body` with a fresh store of this kind, thrown away afterwards
    /// whether `body` succeeded or not.
    public func with(_ body: (any Store) async throws -> Void) async throws {
        try await with(injecting: nil, body)
    }

    /// As ``with(_:)``, with faults to inject.
    @_spi(Testing) public func with(injecting faults: StoreFaults?, _ body: (any Store) async throws -> Void) async throws {
        let (store, dispose) = try await make(faults: faults)
        do {
            try await body(store)
            await dispose()
        } catch {
            await dispose()
            throw error
        }
    }
}

/// A PostgreSQL server for tests: every test gets a schema of its own, so
/// tests run in parallel without seeing each other's rows.
public enum PostgresTestDatabase {
    public static var url: String? {
        ProcessInfo.processInfo.environment["LITH_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }

    public static var isCI: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

    public struct NotConfigured: Error, CustomStringConvertible {
        public var description: String { "CI=true but LITH_TEST_POSTGRES_URL is not set: the PostgreSQL tests must run under CI" }
    }

    static func freshStore(faults: StoreFaults?) async throws -> (any Store, @Sendable () async -> Void) {
        guard let url else { throw NotConfigured() }
        let schema = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        try await admin(url, "CREATE SCHEMA \(schema)")
        let store = try await PostgresStore.open(url: url + (url.contains("?") ? "&" : "?") + "search_path=\(schema)", poolSize: 4, faults: faults)
        try await store.migrate()
        return (
            store,
            {
                try? await store.close()
                try? await admin(url, "DROP SCHEMA \(schema) CASCADE")
            }
        )
    }

    /// Runs one statement on its own connection.
    public static func admin(_ url: String, _ sql: String) async throws {
        guard let components = URLComponents(string: url) else { throw NotConfigured() }
        let configuration = PostgresConnection.Configuration(
            host: components.host ?? "127.0.0.1",
            port: components.port ?? 5432,
            username: components.user ?? "postgres",
            password: components.password,
            database: String(components.path.dropFirst()),
            tls: .disable
        )
        let logger = Logger(label: "lith-test-admin")
        let connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: logger)
        do {
            try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger)
            try await connection.close()
        } catch {
            try? await connection.close()
            throw error
        }
    }
}
