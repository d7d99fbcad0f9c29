import ArgumentParser
import Foundation
import Hummingbird
import Lith
import Logging
import NIOCore

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the Lith web app (signup, login, logout, dashboard).",
        discussion: "Creates the database if it is missing and applies migrations before serving."
    )

    @Option(help: "Address to listen on. (env: LITH_HOST; default: 127.0.0.1)") var host: String?
    @Option(help: "Port to listen on; 0 picks a free one. (env: LITH_PORT; default: 8080)") var port: Int?
    @OptionGroup var database: DatabaseOptions
    @Flag(help: "Serving over https (directly or behind a TLS proxy): Secure + __Host- cookies and HSTS. (env: LITH_SECURE_COOKIES)")
    var secureCookies = false
    @OptionGroup var hashing: HashingOptions
    @Option(help: "How many password hashes may run at once. (env: LITH_HASH_CONCURRENCY; default: number of cores)")
    var hashConcurrency: Int?
    @Option(help: "Absolute session lifetime. (env: LITH_SESSION_LIFETIME; default: 12h)") var sessionLifetime: String?
    @Option(help: "Session idle timeout. (env: LITH_SESSION_IDLE; default: 30m)") var sessionIdle: String?
    @Option(help: "\"Remember me\" session lifetime. (env: LITH_REMEMBER_LIFETIME; default: 30d)") var rememberLifetime: String?
    @Option(help: "\"Remember me\" idle timeout. (env: LITH_REMEMBER_IDLE; default: 7d)") var rememberIdle: String?
    @Option(help: "How often to delete expired sessions. (env: LITH_PURGE_INTERVAL; default: 10m)") var purgeInterval: String?
    @Option(help: "An origin to accept on POSTs besides the request's Host, e.g. https://example.com; repeatable. (env: LITH_TRUSTED_ORIGINS, comma-separated)")
    var trustedOrigin: [String] = []

    func resolve(_ environment: Environment) throws -> AppConfiguration {
        var configuration = AppConfiguration()
        configuration.host = host ?? environment["LITH_HOST"] ?? configuration.host
        let port = try port ?? environment.int("LITH_PORT") ?? configuration.port
        guard (0...65535).contains(port) else { throw CLIError("--port must be between 0 and 65535, got \(port)") }
        configuration.port = port
        configuration.database = try database.location(environment)
        configuration.logLevel = try database.level(environment)
        configuration.databasePoolSize = try database.poolSize(environment)
        configuration.secureCookies = try secureCookies || (environment.bool("LITH_SECURE_COOKIES") ?? false)
        configuration.scrypt = try hashing.scrypt(environment)
        if let concurrency = try hashConcurrency ?? environment.int("LITH_HASH_CONCURRENCY") {
            guard (1...256).contains(concurrency) else { throw CLIError("--hash-concurrency must be between 1 and 256, got \(concurrency)") }
            configuration.maximumConcurrentHashes = concurrency
        }
        func duration(_ flag: String?, _ name: String, _ variable: String) throws -> TimeInterval? {
            try (flag ?? environment[variable]).map { try DurationText.parse($0, name: name) }
        }
        var sessions = configuration.sessions
        sessions.absoluteLifetime = try duration(sessionLifetime, "--session-lifetime", "LITH_SESSION_LIFETIME") ?? sessions.absoluteLifetime
        sessions.idleTimeout = try duration(sessionIdle, "--session-idle", "LITH_SESSION_IDLE") ?? sessions.idleTimeout
        sessions.rememberMeLifetime = try duration(rememberLifetime, "--remember-lifetime", "LITH_REMEMBER_LIFETIME") ?? sessions.rememberMeLifetime
        sessions.rememberMeIdleTimeout = try duration(rememberIdle, "--remember-idle", "LITH_REMEMBER_IDLE") ?? sessions.rememberMeIdleTimeout
        configuration.sessions = sessions
        configuration.sessionPurgeInterval = try duration(purgeInterval, "--purge-interval", "LITH_PURGE_INTERVAL") ?? configuration.sessionPurgeInterval
        let origins = trustedOrigin + (environment["LITH_TRUSTED_ORIGINS"]?.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } ?? [])
        for origin in origins where OriginCheck.hostAndPort(ofOrigin: origin.lowercased()) == nil {
            throw CLIError("--trusted-origin must look like https://example.com, got '\(origin)'")
        }
        configuration.trustedOrigins = Set(origins)
        return configuration
    }

    func run() async throws {
        let environment = Environment.process
        let configuration = try resolve(environment)
        LoggingSystem.bootstrap { label in
            var handler = LazyMetadataLogHandler(StreamLogHandler.standardError(label: label))
            handler.logLevel = configuration.logLevel
            return handler
        }
        var logger = Logger(label: "lith")
        logger.logLevel = configuration.logLevel
        let store = try await StoreFactory.open(configuration.database, poolSize: configuration.databasePoolSize, logger: logger)
        let app: LithApp
        do {
            try await store.migrate()
            app = try await LithApp.build(configuration: configuration, store: store, logger: logger)
        } catch {
            try? await store.close()
            throw error
        }
        let console = ConsoleContext.current
        let database = configuration.database
        // The application's services close the store at shutdown; closing again
        // here covers a server that never started (close is idempotent).
        do {
            try await app.application { channel in
                let port = channel.localAddress?.port ?? configuration.port
                console.write("Lith is serving http://\(configuration.host):\(port) (database: \(database))\n")
            }.runService()
            try? await store.close()
        } catch let error as IOError {
            try? await store.close()
            throw CLIError("can't listen on \(configuration.host):\(configuration.port): \(error.description)")
        } catch {
            try? await store.close()
            throw error
        }
    }
}
