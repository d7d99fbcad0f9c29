import Logging

/// Opens the store a ``DatabaseLocation`` names.
public enum StoreFactory {
    public static func open(_ location: DatabaseLocation, logger: Logger) async throws -> any Store {
        switch location {
        case .sqlite(let path):
            return try await SQLiteStore.open(path: path, logger: logger)
        case .postgres:
            throw StoreError.unavailable("PostgreSQL is not supported yet")
        }
    }
}
