import Foundation
import Lith

/// The stores every conformance test runs against.
enum StoreKind: String, CustomStringConvertible, CaseIterable, Sendable {
    case sqlite

    var description: String { rawValue }

    static var available: [StoreKind] { allCases }

    /// A fresh, migrated, empty store and a way to throw it away.
    func make() async throws -> (any Store, @Sendable () async -> Void) {
        switch self {
        case .sqlite:
            let database = TemporaryDatabase()
            let store = try await SQLiteStore.open(path: database.path)
            try await store.migrate()
            return (store, { try? await store.close(); database.remove() })
        }
    }
}

extension StoreKind {
    /// Runs `body` with a fresh store of this kind.
    func with(_ body: (any Store) async throws -> Void) async throws {
        let (store, dispose) = try await make()
        do {
            try await body(store)
            await dispose()
        } catch {
            await dispose()
            throw error
        }
    }
}
