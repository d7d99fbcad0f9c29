import Foundation
import NIOCore
import Logging

/// Everything the Lith app can be told, with the defaults a newcomer wants:
/// SQLite in the working directory, loopback only, OWASP password cost.
public struct AppConfiguration: Sendable {
    public var host: String = "127.0.0.1"
    public var port: Int = 8080
    public var database: DatabaseLocation = .sqlite(path: "lith.sqlite")
    /// Connections each instance keeps to PostgreSQL, at most.
    public var databasePoolSize: Int = 10
    /// Serving behind https: `Secure` + `__Host-` cookies and HSTS.
    public var secureCookies: Bool = false
    public var sessions = SessionPolicy()
    public var passwordPolicy = PasswordPolicy()
    public var scrypt: ScryptParameters = .owasp
    /// How many password hashes may run at once; each takes
    /// `scrypt.memoryBytes` of memory while it runs.
    public var maximumConcurrentHashes: Int = System.coreCount
    /// Origins to accept on POSTs besides the request's own Host, for proxies
    /// that rewrite Host.
    public var trustedOrigins: Set<String> = []
    public var logLevel: Logger.Level = .info
    /// How often each instance deletes expired sessions.
    public var sessionPurgeInterval: TimeInterval = 600

    public init() {}
}
