import Logging

/// Which store to run on, from a `--database` value: a file path or
/// `sqlite://` URL for the embedded store, a `postgres://` URL for a shared one.
public enum DatabaseLocation: Sendable, Equatable, CustomStringConvertible {
    case sqlite(path: String)
    case postgres(url: String)

    public enum Problem: Error, Sendable, Equatable, CustomStringConvertible {
        case empty
        case unsupportedScheme(String)
        /// The URL, without its password.
        case invalidURL(String)
        case invalidSSLMode(String)
        case passwordGivenTwice

        public var description: String {
            switch self {
            case .empty: "the database location is empty"
            case .unsupportedScheme(let scheme): "unsupported database scheme '\(scheme.logSafe)://' (use a file path, sqlite:// or postgres://)"
            case .invalidURL(let url): "not a PostgreSQL URL like postgres://user@host:5432/database: '\(url.logSafe)'"
            case .invalidSSLMode(let mode):
                "sslmode must be one of \(PostgresLocation.SSLMode.allCases.map(\.rawValue).joined(separator: ", ")), got '\(mode.logSafe)'"
            case .passwordGivenTwice: "the database password is given both in the URL and in a file or the environment: give it once"
            }
        }
    }

    /// Parses a `--database` value; a PostgreSQL URL is checked in full here,
    /// so a mistake in it is reported before anything connects.
    public init(_ value: String) throws(Problem) {
        let value = value.trimmingWhitespace()
        guard !value.isEmpty else { throw .empty }
        if let range = value.range(of: "://") {
            let scheme = value[..<range.lowerBound].lowercased()
            let rest = String(value[range.upperBound...])
            switch scheme {
            case "sqlite":
                guard !rest.isEmpty else { throw .empty }
                self = .sqlite(path: rest)
            case "postgres", "postgresql":
                _ = try PostgresLocation(url: value)
                self = .postgres(url: value)
            default:
                throw .unsupportedScheme(scheme)
            }
        } else {
            self = .sqlite(path: value)
        }
    }

    /// Safe to print: a PostgreSQL URL loses its password.
    public var description: String {
        switch self {
        case .sqlite(let path): "sqlite://\(path)"
        case .postgres(let url): DatabaseLocation.redactingPassword(url)
        }
    }

    static func redactingPassword(_ url: String) -> String {
        guard let schemeEnd = url.range(of: "://"), let at = url[schemeEnd.upperBound...].lastIndex(of: "@") else { return url }
        let credentials = url[schemeEnd.upperBound..<at]
        guard let colon = credentials.firstIndex(of: ":") else { return url }
        return String(url[..<colon]) + ":***" + String(url[at...])
    }
}

extension DatabaseLocation {
    /// Opens the store this location names.
    ///
    /// - Parameters:
    ///   - password: the PostgreSQL password, when it isn't in the URL.
    ///   - poolSize: connections to PostgreSQL per instance (SQLite ignores
    ///     it: one writer and a few readers are all a file takes).
    ///   - mustExist: refuse a SQLite file that doesn't exist yet, for
    ///     commands that only read (a mistyped path must not leave an empty
    ///     database behind).
    public func open(password: String? = nil, poolSize: Int = 10, mustExist: Bool = false, logger: Logger) async throws -> any Store {
        switch self {
        case .sqlite(let path):
            return try await SQLiteStore.open(path: path, mustExist: mustExist, logger: logger)
        case .postgres(let url):
            return try await PostgresStore.open(url: url, password: password, poolSize: poolSize, logger: logger)
        }
    }
}
