import ArgumentParser
import Foundation
import Hummingbird
import Lith
import LithApp
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
    @Option(
        help:
            "The origin people reach the site at, e.g. https://login.example.com: the host answered to, and https turns on secure cookies and HSTS. (env: LITH_PUBLIC_URL)"
    )
    var publicURL: String?
    @Option(
        help:
            "Host names to answer to, comma-separated; '*' for any (behind a proxy that checks Host). (env: LITH_ALLOWED_HOSTS; default: the public URL's host, else the listen address and localhost)"
    )
    var allowedHosts: String?
    @Flag(help: "Serving over https (directly or behind a TLS proxy): Secure + __Host- cookies and HSTS. (env: LITH_SECURE_COOKIES)")
    var secureCookies = false
    @OptionGroup var hashing: HashingOptions
    @Option(help: "How many password hashes may run at once. (env: LITH_HASH_CONCURRENCY; default: number of cores)")
    var hashConcurrency: Int?
    @Option(help: "The longest a password hash may wait for a free thread before the form answers 503. (env: LITH_HASH_WAIT; default: 6s)")
    var hashWait: String?
    @Option(help: "Absolute session lifetime. (env: LITH_SESSION_LIFETIME; default: 12h)") var sessionLifetime: String?
    @Option(help: "Session idle timeout. (env: LITH_SESSION_IDLE; default: 30m)") var sessionIdle: String?
    @Option(help: "\"Remember me\" session lifetime. (env: LITH_REMEMBER_LIFETIME; default: 30d)") var rememberLifetime: String?
    @Option(help: "\"Remember me\" idle timeout. (env: LITH_REMEMBER_IDLE; default: 7d)") var rememberIdle: String?
    @Option(help: "How often to delete expired sessions. (env: LITH_PURGE_INTERVAL; default: 10m)") var purgeInterval: String?
    @Option(
        help:
            "An origin to accept on POSTs besides the site's own, e.g. https://example.com; repeatable. (env: LITH_TRUSTED_ORIGINS, comma-separated)"
    )
    var trustedOrigin: [String] = []
    @OptionGroup var connections: ConnectionOptions
    @OptionGroup var accountSecurity: AccountSecurityOptions
    @OptionGroup var passwords: PasswordOptions
    @OptionGroup var mail: MailOptions

    func resolve(_ environment: Environment) throws -> AppConfiguration {
        var configuration = AppConfiguration()
        configuration.host = host ?? environment["LITH_HOST"] ?? configuration.host
        guard AppConfiguration.isWildcard(configuration.host) || HostHeader(configuration.host) != nil,
            !configuration.host.contains(":") || configuration.host.hasPrefix("[") || configuration.host.contains("::")
        else {
            throw CLIError("--host must be an IP address or a host name, like 127.0.0.1 or 0.0.0.0, got '\(configuration.host.logSafe)'")
        }
        let port = try port ?? environment.int("LITH_PORT") ?? configuration.port
        guard (0...65535).contains(port) else { throw CLIError("--port must be between 0 and 65535, got \(port)") }
        configuration.port = port
        configuration.database = try database.location(environment)
        configuration.logLevel = try database.level(environment)
        configuration.databasePoolSize = try database.poolSize(environment)
        configuration.secureCookies = try secureCookies || (environment.bool("LITH_SECURE_COOKIES") ?? false)
        if let text = publicURL ?? environment["LITH_PUBLIC_URL"] {
            do { configuration.publicURL = try PublicURL(text) } catch { throw CLIError("--public-url: \(String(describing: error))") }
        }
        if let text = allowedHosts ?? environment["LITH_ALLOWED_HOSTS"] {
            do {
                configuration.allowedHosts = try AllowedHosts(text.split(separator: ",").map(String.init))
            } catch {
                throw CLIError("--allowed-hosts: \(String(describing: error))")
            }
        }
        configuration.scrypt = try hashing.scrypt(environment)
        if let concurrency = try hashConcurrency ?? environment.int("LITH_HASH_CONCURRENCY") {
            guard (1...256).contains(concurrency) else { throw CLIError("--hash-concurrency must be between 1 and 256, got \(concurrency)") }
            configuration.maximumConcurrentHashes = concurrency
        }
        func duration(_ flag: String?, _ name: String, _ variable: String) throws -> TimeInterval? {
            try (flag ?? environment[variable]).map { try DurationText.parse($0, name: name) }
        }
        if let wait = try duration(hashWait, "--hash-wait", "LITH_HASH_WAIT") { configuration.maximumHashWait = Duration.seconds(wait) }
        var sessions = configuration.sessions
        sessions.absoluteLifetime = try duration(sessionLifetime, "--session-lifetime", "LITH_SESSION_LIFETIME") ?? sessions.absoluteLifetime
        sessions.idleTimeout = try duration(sessionIdle, "--session-idle", "LITH_SESSION_IDLE") ?? sessions.idleTimeout
        sessions.rememberMeLifetime = try duration(rememberLifetime, "--remember-lifetime", "LITH_REMEMBER_LIFETIME") ?? sessions.rememberMeLifetime
        sessions.rememberMeIdleTimeout = try duration(rememberIdle, "--remember-idle", "LITH_REMEMBER_IDLE") ?? sessions.rememberMeIdleTimeout
        configuration.sessions = sessions
        configuration.sessionPurgeInterval =
            try duration(purgeInterval, "--purge-interval", "LITH_PURGE_INTERVAL") ?? configuration.sessionPurgeInterval
        let origins =
            trustedOrigin + (environment["LITH_TRUSTED_ORIGINS"]?.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } ?? [])
        for origin in origins where OriginCheck.normalised(origin) == nil {
            throw CLIError("--trusted-origin must look like https://example.com, got '\(origin.logSafe)'")
        }
        configuration.trustedOrigins = Set(origins)
        configuration.connections = try connections.limits(environment)
        configuration.trustedProxies = try accountSecurity.trustedProxies(environment)
        configuration.throttle = try accountSecurity.throttlePolicy(environment)
        configuration.auditRetention = try accountSecurity.auditRetention(environment)
        configuration.passwordPolicy = try passwords.policy(environment)
        configuration.mail = try mail.settings(environment)
        do {
            _ = try configuration.resolvedAllowedHosts()
        } catch {
            throw CLIError(String(describing: error))
        }
        return configuration
    }

    func run() async throws {
        let environment = Environment.process
        var resolved = try resolve(environment)
        let password = try database.password(environment)
        let level = resolved.logLevel
        LoggingSystem.bootstrap { label in
            var handler = LazyMetadataLogHandler(StreamLogHandler.standardError(label: label))
            handler.logLevel = level
            return handler
        }
        var logger = Logger(label: "lith")
        logger.logLevel = resolved.logLevel
        resolved.connections = DescriptorLimit.fit(
            resolved.connections,
            explicit: connections.maximumConnectionsWasGiven(environment),
            poolSize: resolved.databasePoolSize,
            logger: logger
        )
        let configuration = resolved
        warnAboutExposure(configuration, logger: logger)
        let app = try await LithApp.build(configuration: configuration, databasePassword: password, logger: logger)
        let console = ConsoleContext.current
        let database = configuration.database
        // The application's services close the store at shutdown; closing again
        // here covers a server that never started (close is idempotent).
        do {
            try await app.application { channel in
                let port = channel.localAddress?.port ?? configuration.port
                console.write("Lith is serving http://\(configuration.host):\(port) (database: \(database))\n")
            }.runService()
            try? await app.store.close()
        } catch {
            try? await app.store.close()
            throw ListenError(host: configuration.host, port: configuration.port, error) ?? error
        }
    }

    /// Warnings for a server others can reach: plain http that forms and
    /// cookies cross in the clear, and a Host check switched off.
    private func warnAboutExposure(_ configuration: AppConfiguration, logger: Logger) {
        if !AppConfiguration.isLoopback(configuration.host), !configuration.servesHTTPS {
            logger.warning(
                "serving plain http on \(configuration.host), which other machines can reach: passwords and session cookies cross the network in the clear. Serve it behind a TLS proxy with --public-url https://… (or --secure-cookies)."
            )
        }
        if configuration.allowedHosts?.allowsAny == true {
            logger.warning(
                "--allowed-hosts '*': answering every host name, so a site whose DNS points here (DNS rebinding) shares this site's origin in a browser. Only do this behind a proxy that checks Host."
            )
        }
    }
}
