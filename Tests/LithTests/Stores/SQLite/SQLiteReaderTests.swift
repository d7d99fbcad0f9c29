import Foundation
@_spi(Testing) import LithTestSupport
import Testing

@_spi(Testing) @testable import Lith

@Suite("SQLite reads")
struct SQLiteReaderTests {
    @Test func theSessionLookupStaysPreparedAcrossManyTokens() async throws {
        // given a store with one user and a few sessions
        let database = TemporaryDatabase()
        defer { database.remove() }
        let store = try await SQLiteStore.open(path: database.path, readerCount: 1)
        try await store.migrate()
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let user = try await store.insertUser(email: try EmailAddress("ada@example.com"), passwordHash: Fixtures.hash, at: now)
        let tokens = (0..<5).map { _ in SessionToken.generate() }
        for token in tokens { try await store.insertSession(Fixtures.session(token, user: user, at: now)) }
        // when sessions are looked up again and again with different tokens
        for _ in 0..<3 {
            for token in tokens { #expect(try await store.session(digest: token.digest) != nil) }
        }
        // then SQLite never had to re-prepare the statement (it re-plans per
        // bound value unless the planner-stability guarantee is on)
        #expect(store.reader.reprepares(of: SQLiteStore.sessionQuery) == 0)
        try await store.close()
    }
}
