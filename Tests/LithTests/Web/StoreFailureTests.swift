import Foundation
import HTTPTypes
import HummingbirdTesting
import Lith
import LithTesting
import Testing

/// A store that works until told to fail, as a database does when it goes away.
final class FailingStore: Store, @unchecked Sendable {
    let inner: any Store
    private let lock = NSLock()
    private var failure: StoreError?

    init(_ inner: any Store) { self.inner = inner }

    func fail(with error: StoreError?) { lock.withLock { failure = error } }

    private func check() throws { if let failure = lock.withLock({ failure }) { throw failure } }

    func migrate() async throws { try check(); try await inner.migrate() }
    func insertUser(email: EmailAddress, passwordHash: PasswordHash, at: Date) async throws -> User {
        try check(); return try await inner.insertUser(email: email, passwordHash: passwordHash, at: at)
    }
    func user(email: EmailAddress) async throws -> User? { try check(); return try await inner.user(email: email) }
    func credentials(email: EmailAddress) async throws -> (User, PasswordHash)? { try check(); return try await inner.credentials(email: email) }
    func users() async throws -> [User] { try check(); return try await inner.users() }
    func deleteUser(email: EmailAddress) async throws -> Bool { try check(); return try await inner.deleteUser(email: email) }
    func updatePasswordHash(userID: User.ID, to hash: PasswordHash) async throws { try check(); try await inner.updatePasswordHash(userID: userID, to: hash) }
    func insertSession(_ session: SessionRecord) async throws { try check(); try await inner.insertSession(session) }
    func session(digest: SessionToken.Digest) async throws -> (SessionRecord, User)? { try check(); return try await inner.session(digest: digest) }
    func touchSession(digest: SessionToken.Digest, lastSeenAt: Date) async throws { try check(); try await inner.touchSession(digest: digest, lastSeenAt: lastSeenAt) }
    func deleteSession(digest: SessionToken.Digest) async throws { try check(); try await inner.deleteSession(digest: digest) }
    func deleteSessions(userID: User.ID) async throws { try check(); try await inner.deleteSessions(userID: userID) }
    func deleteExpiredSessions(now: Date) async throws -> Int { try check(); return try await inner.deleteExpiredSessions(now: now) }
    func sessionCount() async throws -> Int { try check(); return try await inner.sessionCount() }
    func sharedSecret(named name: String, candidate: [UInt8]) async throws -> [UInt8] {
        try check(); return try await inner.sharedSecret(named: name, candidate: candidate)
    }
    func close() async throws { try await inner.close() }
}

@Suite("Store failures")
struct StoreFailureTests {
    private static func failingStore(_ path: String) async throws -> any Store {
        let store = FailingStore(try await SQLiteStore.open(path: path))
        try await store.migrate()
        return store
    }

    @Test func aDatabaseErrorIsA500PageThatLeaksNothing() async throws {
        try await TestApp.run(store: Self.failingStore) { app, client in
            // given a signed-in user, and then a database that breaks
            let browser = TestBrowser(client)
            try await browser.logIn(as: try await app.user(), using: app.authentication)
            (app.store as! FailingStore).fail(with: .failure("SQLITE_CORRUPT: secret internal detail"))
            // when they load a page
            let page = try await browser.get("/dashboard")
            // then they get a plain 500 page, without the internal error
            #expect(page.status == .internalServerError)
            #expect(page.body.contains("Something went wrong"))
            #expect(!page.body.contains("secret internal detail"))
            #expect(!page.body.contains("SQLITE"))
            #expect(page.headers[.contentSecurityPolicy] != nil)
        }
    }

    @Test func anUnreachableDatabaseIsA503WithRetryAfter() async throws {
        try await TestApp.run(store: Self.failingStore) { app, client in
            (app.store as! FailingStore).fail(with: .unavailable("connection refused to db.internal:5432"))
            let browser = TestBrowser(client)
            await browser.setCookie("lith_session", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
            let page = try await browser.get("/dashboard")
            #expect(page.status == .serviceUnavailable)
            #expect(page.headers[.retryAfter] == "5")
            #expect(!page.body.contains("db.internal"))
        }
    }

    @Test func aGuestPageNeedsNoDatabaseAtAll() async throws {
        try await TestApp.run(store: Self.failingStore) { app, client in
            // given a database that is down
            (app.store as! FailingStore).fail(with: .unavailable("down"))
            // then guests still get the login and signup forms
            let browser = TestBrowser(client)
            let login = try await browser.get("/login")
            let signup = try await browser.get("/signup")
            #expect(login.status == .ok)
            #expect(signup.status == .ok)
        }
    }
}
