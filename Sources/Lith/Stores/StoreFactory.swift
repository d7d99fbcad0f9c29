import Logging

/// Opens the store a ``DatabaseLocation`` names.
public enum StoreFactory {
    /// - Parameter poolSize: connections to PostgreSQL per instance (SQLite
    ///   ignores it: one writer and a couple of readers are all a file takes).
    public static func open(_ location: DatabaseLocation, poolSize: Int = 10, logger: Logger) async throws -> any Store {
        switch location {
        case .sqlite(let path):
            return try await SQLiteStore.open(path: path, logger: logger)
        case .postgres(let url):
            return try await PostgresStore.open(url: url, poolSize: poolSize, logger: logger)
        }
    }
}
