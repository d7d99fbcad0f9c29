import ArgumentParser
import Foundation
import Lith
import Logging

/// The options every command that touches the store shares.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .long, help: "A file path or sqlite:// URL, or a postgres:// URL. (env: LITH_DATABASE_URL; default: lith.sqlite)")
    var database: String?

    @Option(
        name: .long,
        help:
            "A file whose first line is the PostgreSQL password, kept out of the URL and so out of the process list. (env: LITH_DATABASE_PASSWORD_FILE, or the password itself in LITH_DATABASE_PASSWORD)"
    )
    var databasePasswordFile: String?

    @Option(name: .long, help: "Most connections to PostgreSQL per process. (env: LITH_DATABASE_POOL_SIZE; default: 10)")
    var databasePoolSize: Int?

    @Option(name: .long, help: "trace, debug, info, notice, warning, error or critical. (env: LITH_LOG_LEVEL; default: info)")
    var logLevel: String?

    func location(_ environment: Environment) throws -> DatabaseLocation {
        let value = database ?? environment["LITH_DATABASE_URL"] ?? "lith.sqlite"
        do {
            return try DatabaseLocation(value)
        } catch {
            throw CLIError("--database: \(error.description)")
        }
    }

    /// The PostgreSQL password from a file or the environment, if given there.
    func password(_ environment: Environment) throws -> String? {
        if let path = databasePasswordFile ?? environment["LITH_DATABASE_PASSWORD_FILE"] {
            return try SecretFile.firstLine(of: path, flag: "--database-password-file")
        }
        return environment["LITH_DATABASE_PASSWORD"]
    }

    func level(_ environment: Environment) throws -> Logger.Level {
        guard let value = logLevel ?? environment["LITH_LOG_LEVEL"] else { return .info }
        guard let level = Logger.Level(rawValue: value.lowercased()) else {
            throw CLIError("--log-level must be one of trace, debug, info, notice, warning, error, critical; got '\(value)'")
        }
        return level
    }

    func poolSize(_ environment: Environment) throws -> Int {
        let size = try databasePoolSize ?? environment.int("LITH_DATABASE_POOL_SIZE") ?? 10
        guard (1...1000).contains(size) else { throw CLIError("--database-pool-size must be between 1 and 1000, got \(size)") }
        return size
    }

    /// Runs `body` on the opened, migrated store and closes it afterwards,
    /// whether `body` succeeded or not. `mustExist`: a command that only
    /// reads or removes refuses a SQLite file that isn't there, instead of
    /// creating an empty one behind a mistyped path.
    func withStore<T>(_ environment: Environment, mustExist: Bool = false, _ body: (any Store) async throws -> T) async throws -> T {
        let (store, _) = try await openStore(environment, mustExist: mustExist)
        do {
            let result = try await body(store)
            try await store.close()
            return result
        } catch {
            try? await store.close()
            throw error
        }
    }

    /// Opens and migrates the store, with a logger at the chosen level.
    func openStore(_ environment: Environment, mustExist: Bool = false) async throws -> (any Store, Logger) {
        let location = try location(environment)
        var logger = Logger(label: "lith")
        logger.logLevel = try level(environment)
        let store = try await location.open(
            password: try password(environment),
            poolSize: try poolSize(environment),
            mustExist: mustExist,
            logger: logger
        )
        do {
            try await store.migrate()
        } catch {
            try? await store.close()
            throw error
        }
        return (store, logger)
    }
}
