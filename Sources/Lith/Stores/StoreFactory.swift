import Logging

/// Opens the store a ``DatabaseLocation`` names.
public enum StoreFactory {
    /// - Parameter poolSize: connections to PostgreSQL per instance (SQLite
    ///   ignores it: one writer and a couple of readers are all a file takes).
    /// - Parameter password: the PostgreSQL password, when it isn't in the URL.
    public static func open(_ location: DatabaseLocation, password: String? = nil, poolSize: Int = 10, logger: Logger) async throws -> any Store {
        switch location {
        case .sqlite(let path):
            return try await SQLiteStore.open(path: path, logger: logger)
        case .postgres(let url):
            return try await PostgresStore.open(url: url, password: password, poolSize: poolSize, logger: logger)
        }
    }
}
