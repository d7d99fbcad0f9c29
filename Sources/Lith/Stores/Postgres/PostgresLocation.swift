import Foundation
import NIOSSL
import PostgresNIO

/// A `postgres://user:password@host:port/database?sslmode=…` URL, parsed.
struct PostgresLocation: Sendable {
    let host: String
    let port: Int
    let username: String
    let password: String?
    let database: String
    let tls: PostgresClient.Configuration.TLS
    /// Run-time parameters sent when connecting, from the URL's query:
    /// `search_path` (the schema Lith's tables live in) and `application_name`.
    let startupParameters: [(String, String)]
    /// The same choice for a single connection, which takes an SSL context.
    let connectionTLS: @Sendable () throws -> PostgresConnection.Configuration.TLS

    init(url: String) throws {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
            scheme == "postgres" || scheme == "postgresql", let host = components.host, !host.isEmpty
        else { throw StoreError.unavailable("not a PostgreSQL URL: \(DatabaseLocation.redactingPassword(url))") }
        self.host = host
        self.port = components.port ?? 5432
        self.username = components.percentEncodedUser.flatMap { $0.removingPercentEncoding } ?? "postgres"
        self.password = components.percentEncodedPassword.flatMap { $0.removingPercentEncoding }
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        self.database = path.isEmpty ? username : path
        self.startupParameters = (components.queryItems ?? []).compactMap { item in
            guard item.name == "search_path" || item.name == "application_name", let value = item.value, !value.isEmpty else { return nil }
            return (item.name, value)
        }
        // sslmode as libpq reads it: "prefer" (the default) and "require"
        // encrypt without checking the certificate; "verify-full" checks it.
        let unverified = {
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.certificateVerification = .none
            return configuration
        }()
        let verified = TLSConfiguration.makeClientConfiguration()
        switch components.queryItems?.first(where: { $0.name == "sslmode" })?.value?.lowercased() {
        case "disable":
            self.tls = .disable
            self.connectionTLS = { .disable }
        case "require":
            self.tls = .require(unverified)
            self.connectionTLS = { .require(try NIOSSLContext(configuration: unverified)) }
        case "verify-ca", "verify-full":
            self.tls = .require(verified)
            self.connectionTLS = { .require(try NIOSSLContext(configuration: verified)) }
        default:
            self.tls = .prefer(unverified)
            self.connectionTLS = { .prefer(try NIOSSLContext(configuration: unverified)) }
        }
    }

    /// Names the server without the password, for messages.
    var displayName: String { "\(host):\(port)/\(database)" }
}
