import Foundation
import Lith
import Logging
import NIOSSL
import PostgresNIO

/// The PostgreSQL server named by `LITH_BENCH_POSTGRES_URL`. Each run gets a
/// schema of its own (`lith_bench_<time>_<pid>`, passed to Lith as
/// `search_path=`, as bench/run.sh does), dropped in teardown, so the table
/// holds exactly the benchmark's rows and nothing of the database's own.
enum PostgresSchema {
    static let urlVariable = "LITH_BENCH_POSTGRES_URL"

    static var url: String? {
        ProcessInfo.processInfo.environment[urlVariable].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// A migrated, empty store in a new schema, and a way to drop it.
    static func freshStore(url: String) async throws -> (any Store, () async -> Void) {
        let schema = "lith_bench_\(Int(Date().timeIntervalSince1970))_\(ProcessInfo.processInfo.processIdentifier)"
        try await admin(url, "CREATE SCHEMA \(schema)")
        do {
            let store = try await PostgresStore.open(
                url: url + (url.contains("?") ? "&" : "?") + "search_path=\(schema)",
                poolSize: 2,
                logger: quietLogger("lith.postgres")
            )
            do {
                try await store.migrate()
            } catch {
                try? await store.close()
                throw error
            }
            return (
                store,
                {
                    try? await store.close()
                    try? await admin(url, "DROP SCHEMA \(schema) CASCADE")
                }
            )
        } catch {
            try? await admin(url, "DROP SCHEMA \(schema) CASCADE")
            throw error
        }
    }

    /// Runs one statement on a connection of its own. `schema` is made here,
    /// of digits and letters only, so it is safe to splice into the SQL.
    private static func admin(_ url: String, _ sql: String) async throws {
        guard let components = URLComponents(string: url), let host = components.host else { throw NotAURL() }
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        let username = components.percentEncodedUser.flatMap { $0.removingPercentEncoding } ?? "postgres"
        let configuration = PostgresConnection.Configuration(
            host: host,
            port: components.port ?? 5432,
            username: username,
            password: components.percentEncodedPassword.flatMap { $0.removingPercentEncoding },
            database: path.isEmpty ? username : path,
            tls: try tls(components)
        )
        let logger = Logger(label: "lith-bench-admin")
        let connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: logger)
        do {
            try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger)
            try await connection.close()
        } catch {
            try? await connection.close()
            throw error
        }
    }

    /// The URL's sslmode, read as Lith reads it: encrypt unless told not to;
    /// check the certificate only for verify-ca and verify-full.
    private static func tls(_ components: URLComponents) throws -> PostgresConnection.Configuration.TLS {
        var unverified = TLSConfiguration.makeClientConfiguration()
        unverified.certificateVerification = .none
        switch components.queryItems?.first(where: { $0.name == "sslmode" })?.value?.lowercased() {
        case "disable": return .disable
        case "require": return .require(try NIOSSLContext(configuration: unverified))
        case "verify-ca", "verify-full": return .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
        default: return .prefer(try NIOSSLContext(configuration: unverified))
        }
    }

    struct NotAURL: Error, CustomStringConvertible {
        var description: String { "\(PostgresSchema.urlVariable) is not a postgres://user:password@host:port/database URL" }
    }
}
