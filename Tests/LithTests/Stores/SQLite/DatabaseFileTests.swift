import Foundation
@_spi(Testing) import LithTestSupport
import Testing

@_spi(Testing) @testable import Lith

/// The SQLite file holds password hashes and the CSRF key: only its owner reads it.
@Suite("Database file")
struct DatabaseFileTests {
    static func mode(_ path: String) throws -> Int {
        try #require(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
    }

    @Test func aNewDatabaseAndItsWALFilesAreReadableByTheOwnerOnly() async throws {
        // given no database yet
        let database = TemporaryDatabase()
        defer { database.remove() }
        // when the store opens it and writes
        let store = try await SQLiteStore.open(path: database.path)
        try await store.migrate()
        // then the file and its companions are 0600
        for suffix in ["", "-wal", "-shm"] {
            #expect(try Self.mode(database.path + suffix) == 0o600, "\(suffix)")
        }
        try await store.close()
    }

    @Test func aMissingFolderIsNamedInOneLine() async throws {
        await #expect(throws: DatabaseFile.Problem.folderMissing("/nonexistent-lith-folder")) {
            _ = try await SQLiteStore.open(path: "/nonexistent-lith-folder/lith.sqlite")
        }
    }

    @Test func aStoreThatMustExistIsNotCreated() async throws {
        let database = TemporaryDatabase()
        await #expect(throws: DatabaseFile.Problem.fileMissing(database.path)) {
            _ = try await SQLiteStore.open(path: database.path, mustExist: true)
        }
        #expect(!FileManager.default.fileExists(atPath: database.path))
    }
}
