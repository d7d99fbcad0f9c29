import Foundation
import HTTPTypes
import HummingbirdTesting
@_spi(Testing) import LithTestSupport
import LithTesting
import Testing

@_spi(Testing) @testable import Lith
@testable import LithApp

@Suite("Store failures")
struct StoreFailureTests {
    @Test func aDatabaseErrorIsA500PageThatLeaksNothing() async throws {
        try await TestApp.run { app, client in
            // given a signed-in user, and then a database that breaks
            let browser = TestBrowser(client)
            try await browser.logIn(as: try await app.user(), using: app.authentication)
            app.faults.fail(with: .failure("SQLITE_CORRUPT: secret internal detail"))
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
        try await TestApp.run { app, client in
            app.faults.fail(with: .unavailable("connection refused to db.internal:5432"))
            let browser = TestBrowser(client)
            await browser.setCookie("lith_session", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
            let page = try await browser.get("/dashboard")
            #expect(page.status == .serviceUnavailable)
            #expect(page.headers[.retryAfter] == "5")
            #expect(!page.body.contains("db.internal"))
        }
    }

    @Test func aGuestPageNeedsNoDatabaseAtAll() async throws {
        try await TestApp.run { app, client in
            // given a database that is down
            app.faults.fail(with: .unavailable("down"))
            // then guests still get the login and signup forms
            let browser = TestBrowser(client)
            let login = try await browser.get("/login")
            let signup = try await browser.get("/signup")
            #expect(login.status == .ok)
            #expect(signup.status == .ok)
        }
    }

    @Test func aLastSeenWriteThatFailsCostsTheVisitorNothingAndIsTriedAgain() async throws {
        try await TestApp.run { app, client in
            // given a signed-in user whose last activity was over a minute ago
            let browser = TestBrowser(client)
            let user = try await app.user()
            try await browser.logIn(as: user, using: app.authentication)
            app.clock.advance(by: 120)
            // and a database where that write fails (a lock held elsewhere) while reads work
            app.faults.fail(.touchSession, with: .unavailable("database is locked"))
            // when they load a page, then they get it
            #expect(try await browser.get("/dashboard").status == .ok)
            let cookie = try #require(await browser.cookie("lith_session"))
            let token = try #require(SessionToken(cookieValue: cookie))
            let (stale, _) = try #require(try await app.store.session(digest: token.digest))
            #expect(stale.lastSeenAt < app.clock.now)
            // and once the write works again, the next view refreshes it
            app.faults.heal()
            #expect(try await browser.get("/dashboard").status == .ok)
            let (fresh, _) = try #require(try await app.store.session(digest: token.digest))
            #expect(fresh.lastSeenAt == app.clock.now)
        }
    }
}
