import Foundation
import Lith
import Logging
import NIOCore

/// Everything the Lith app can be told, with the defaults a newcomer wants:
/// SQLite in the working directory, loopback only, OWASP password cost.
public struct AppConfiguration: Sendable {
    public var host: String = "127.0.0.1"
    public var port: Int = 8080
    public var database: DatabaseLocation = .sqlite(path: "lith.sqlite")
    /// Connections each instance keeps to PostgreSQL, at most.
    public var databasePoolSize: Int = 10
    /// Serving behind https: `Secure` + `__Host-` cookies and HSTS. An
    /// https ``publicURL`` turns this on.
    public var secureCookies: Bool = false
    /// The origin people reach the site at; see ``PublicURL``.
    public var publicURL: PublicURL?
    /// The host names served; `nil` for the default (``resolvedAllowedHosts()``).
    public var allowedHosts: AllowedHosts?
    /// Timeouts and caps on every connection.
    public var connections = ConnectionLimits()
    /// The longest a password hash may wait for a free thread before the
    /// form is answered with a 503 instead.
    public var maximumHashWait: Duration = PasswordHasher.defaultMaximumWait
    public var sessions = SessionPolicy()
    /// What new passwords must meet; without a list of its own, the app
    /// loads Lith's bundled list of common passwords.
    public var passwordPolicy = PasswordPolicy()
    /// Limits on failed logins and signups.
    public var throttle = ThrottlePolicy()
    /// The proxies in front of the app whose forwarding header names the
    /// client; none by default, so the socket's peer is the client.
    public var trustedProxies: TrustedProxies = .none
    /// How long the security log keeps an entry.
    public var auditRetention: TimeInterval = PurgeService.defaultAuditRetention
    public var scrypt: ScryptParameters = .owasp
    /// How many password hashes may run at once; each takes
    /// `scrypt.memoryBytes` of memory while it runs.
    public var maximumConcurrentHashes: Int = System.coreCount
    /// Origins to accept on POSTs besides the request's own Host, for proxies
    /// that rewrite Host.
    public var trustedOrigins: Set<String> = []
    public var logLevel: Logger.Level = .info
    /// How often each instance deletes expired sessions, counters and log entries.
    public var sessionPurgeInterval: TimeInterval = 600
    /// Where mail goes and what it says it is from.
    public var mail = MailSettings()

    public init() {}

    /// Whether cookies get `Secure` and `__Host-` and responses HSTS.
    public var servesHTTPS: Bool { secureCookies || publicURL?.isHTTPS == true }

    /// The host names to answer to: ``allowedHosts`` if set, else the public
    /// URL's host, else the listen address and `localhost`. A wildcard
    /// listen address with neither set is refused: it would answer to any
    /// name an attacker's DNS points at it (DNS rebinding).
    public func resolvedAllowedHosts() throws(AllowedHosts.Problem) -> AllowedHosts {
        if let allowedHosts { return allowedHosts }
        if let publicURL { return try AllowedHosts([publicURL.host.name]) }
        guard !Self.isWildcard(host) else {
            throw AllowedHosts.Problem(
                description: "listening on \(host) answers every host name: set --public-url (e.g. https://login.example.com) or --allowed-hosts"
            )
        }
        return try AllowedHosts([host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host, "localhost"])
    }

    /// The origin links in mail point to: `--public-url`, else the address
    /// Lith listens on (never a request's Host header, which the sender of
    /// the request chooses).
    public var linkOrigin: String { linkOrigin(port: port) }

    /// ``linkOrigin`` once the server listens on `port` (which differs from
    /// the configured one when that is 0: any free port).
    public func linkOrigin(port: Int) -> String {
        if let publicURL { return publicURL.origin }
        let name = Self.isWildcard(host) || Self.isLoopback(host) ? "localhost" : (host.contains(":") ? "[\(host)]" : host)
        return "http://\(name):\(port)"
    }

    public static func isWildcard(_ host: String) -> Bool {
        ["0.0.0.0", "::", "[::]", "*", ""].contains(host)
    }

    /// Whether `host` is only reachable from this machine.
    public static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
    }
}

/// Mail: the SMTP server, or the development folder used without one.
public struct MailSettings: Sendable {
    /// `--smtp-url`; `nil`: mail is written to ``outboxFolder`` instead.
    public var smtp: SMTPServer?
    /// `--mail-outbox`; by default a `mail-outbox` folder beside the SQLite
    /// file (or in the working directory for PostgreSQL).
    public var outboxFolder: String?
    /// `--mail-from`; by default `Lith <no-reply@…>` at the public URL's host.
    public var from: MailFrom?
    /// How the mail names the site.
    public var siteName = "Lith"
    /// How long a reset link works.
    public var resetLinkLifetime: TimeInterval = PasswordResets.defaultLifetime
    /// `--email-verification`.
    public var emailVerification: EmailVerificationMode = .optional

    public init() {}
}

extension MailSettings {
    /// The mailer these settings name: SMTP, or the development folder.
    public func mailer(for database: DatabaseLocation, clock: @escaping @Sendable () -> Date = Date.init) throws -> any Mailer {
        if let smtp { return try SMTPMailer(server: smtp) }
        return FolderMailer(folder: URL(fileURLWithPath: resolvedOutboxFolder(for: database)), clock: clock)
    }

    /// `--mail-outbox`, or `mail-outbox` beside the SQLite file.
    public func resolvedOutboxFolder(for database: DatabaseLocation) -> String {
        if let outboxFolder { return outboxFolder }
        if case .sqlite(let path) = database {
            return URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent("mail-outbox").path
        }
        return URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("mail-outbox").path
    }

    /// `--mail-from`, or `Lith <no-reply@HOST>` for the public URL's host
    /// (`lith.localhost` without one).
    public func resolvedFrom(publicURL: PublicURL?) throws -> MailFrom {
        if let from { return from }
        let host = publicURL?.host.name ?? "lith.localhost"
        let address = try (try? EmailAddress("no-reply@\(host)")) ?? EmailAddress("no-reply@lith.localhost")
        return MailFrom(name: siteName, address: address)
    }
}
