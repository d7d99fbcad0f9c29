import Foundation
import NIOSSL
import PostgresNIO

/// A `postgres://user:password@host:port/database?sslmode=…` URL, parsed.
///
/// TLS is verified unless the URL says otherwise: a connection to another
/// machine without `sslmode` uses `verify-full` (encrypted, certificate and
/// host name checked), not libpq's `prefer`, which falls back to plaintext,
/// nor `require`, which encrypts to whoever answers: either way, whoever sits
/// between app and database gets the database password. Only a loopback host
/// keeps `prefer` as its default (nothing sits between a process and itself).
struct PostgresLocation: Sendable {
    /// libpq's `sslmode` values.
    enum SSLMode: String, Sendable, CaseIterable {
        case disable, allow, prefer, require
        case verifyCA = "verify-ca"
        case verifyFull = "verify-full"

        /// Whether the server's certificate is checked at all.
        var verifies: Bool { self == .verifyCA || self == .verifyFull }
    }

    let host: String
    let port: Int
    let username: String
    let password: String?
    let database: String
    let sslMode: SSLMode
    /// A CA bundle to trust instead of the system's (`sslrootcert=`), for a
    /// database with a certificate from a private CA.
    let rootCertificatePath: String?
    /// Run-time parameters sent when connecting, from the URL's query:
    /// `search_path` (the schema Lith's tables live in) and `application_name`.
    let startupParameters: [(String, String)]

    /// Parses `url`; `password`, if given, is used instead of one in the URL
    /// (from a file or the environment, where a process list can't see it).
    init(url: String, password: String? = nil) throws(DatabaseLocation.Problem) {
        let problem = DatabaseLocation.Problem.invalidURL(DatabaseLocation.redactingPassword(url))
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
            scheme == "postgres" || scheme == "postgresql", let host = components.host, !host.isEmpty
        else { throw problem }
        self.host = host
        self.port = components.port ?? 5432
        self.username = components.percentEncodedUser.flatMap { $0.removingPercentEncoding } ?? "postgres"
        let urlPassword = components.percentEncodedPassword.flatMap { $0.removingPercentEncoding }
        if password != nil, urlPassword != nil { throw .passwordGivenTwice }
        self.password = password ?? urlPassword
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        self.database = path.isEmpty ? username : path
        let query = components.queryItems ?? []
        func value(_ name: String) -> String? { query.first { $0.name == name }?.value.flatMap { $0.isEmpty ? nil : $0 } }
        self.startupParameters = query.compactMap { item in
            guard item.name == "search_path" || item.name == "application_name", let value = item.value, !value.isEmpty else { return nil }
            return (item.name, value)
        }
        if let given = value("sslmode") {
            guard let mode = SSLMode(rawValue: given.lowercased()) else { throw .invalidSSLMode(given) }
            self.sslMode = mode
            self.sslModeWasGiven = true
        } else {
            self.sslMode = Self.isLoopback(host) ? .prefer : .verifyFull
            self.sslModeWasGiven = false
        }
        self.rootCertificatePath = value("sslrootcert")
    }

    private let sslModeWasGiven: Bool

    /// 127.0.0.0/8, ::1 and localhost: no network between client and server.
    static func isLoopback(_ host: String) -> Bool {
        let host = host.lowercased()
        return host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
    }

    /// What an operator should hear about this URL's TLS at start-up: a
    /// connection to another machine that the URL leaves unverified.
    var tlsWarning: String? {
        guard sslModeWasGiven, !sslMode.verifies, !Self.isLoopback(host) else { return nil }
        return sslMode == .disable
            ? "sslmode=disable: the connection to PostgreSQL at \(host) is not encrypted; its password and data cross the network in the clear"
            : "sslmode=\(sslMode.rawValue): the connection to PostgreSQL at \(host) does not check the server's certificate; "
                + "whoever sits in between can read its password and data (use sslmode=verify-full, with sslrootcert= for a private CA)"
    }

    /// The TLS settings for this URL's `sslmode`.
    func tlsConfiguration() -> TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        switch sslMode {
        case .verifyFull: configuration.certificateVerification = .fullVerification
        case .verifyCA: configuration.certificateVerification = .noHostnameVerification
        case .disable, .allow, .prefer, .require: configuration.certificateVerification = .none
        }
        if let rootCertificatePath { configuration.trustRoots = .file(rootCertificatePath) }
        return configuration
    }

    /// For each connection (one SSL context, made once, shared by all of them).
    func connectionTLS() throws -> PostgresConnection.Configuration.TLS {
        switch sslMode {
        case .disable: .disable
        case .allow, .prefer: .prefer(try NIOSSLContext(configuration: tlsConfiguration()))
        case .require, .verifyCA, .verifyFull: .require(try NIOSSLContext(configuration: tlsConfiguration()))
        }
    }

    /// Names the server without the password, for messages.
    var displayName: String { "\(host):\(port)/\(database)" }
}
