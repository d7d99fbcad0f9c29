import ArgumentParser
import Lith

/// How long clients may take and how many may connect (``ConnectionLimits``).
struct ConnectionOptions: ParsableArguments {
    @Option(help: "Time for a request's head to arrive, and for a new connection's first request. (env: LITH_HEAD_TIMEOUT; default: 10s)")
    var headTimeout: String?
    @Option(help: "Time for a request's whole body to arrive. (env: LITH_BODY_TIMEOUT; default: 30s)") var bodyTimeout: String?
    @Option(help: "How long a kept-alive connection may sit idle. (env: LITH_IDLE_TIMEOUT; default: 60s)") var idleTimeout: String?
    @Option(help: "Connections open at once. (env: LITH_MAX_CONNECTIONS; default: 4096, or less to fit the descriptor limit)")
    var maxConnections: Int?
    @Option(help: "On SIGTERM, how long requests in progress may take to finish. (env: LITH_SHUTDOWN_GRACE; default: 10s)")
    var shutdownGrace: String?

    func limits(_ environment: Environment) throws -> ConnectionLimits {
        var limits = ConnectionLimits()
        func duration(_ flag: String?, _ name: String, _ variable: String) throws -> Duration? {
            try (flag ?? environment[variable]).map { .seconds(try DurationText.parse($0, name: name)) }
        }
        limits.headTimeout = try duration(headTimeout, "--head-timeout", "LITH_HEAD_TIMEOUT") ?? limits.headTimeout
        limits.bodyTimeout = try duration(bodyTimeout, "--body-timeout", "LITH_BODY_TIMEOUT") ?? limits.bodyTimeout
        limits.idleTimeout = try duration(idleTimeout, "--idle-timeout", "LITH_IDLE_TIMEOUT") ?? limits.idleTimeout
        limits.shutdownGracePeriod = try duration(shutdownGrace, "--shutdown-grace", "LITH_SHUTDOWN_GRACE") ?? limits.shutdownGracePeriod
        if let maximum = try maxConnections ?? environment.int("LITH_MAX_CONNECTIONS") {
            guard (1...1_000_000).contains(maximum) else { throw CLIError("--max-connections must be between 1 and 1000000, got \(maximum)") }
            limits.maximumConnections = maximum
        }
        return limits
    }

    func maximumConnectionsWasGiven(_ environment: Environment) -> Bool {
        maxConnections != nil || environment["LITH_MAX_CONNECTIONS"] != nil
    }
}
