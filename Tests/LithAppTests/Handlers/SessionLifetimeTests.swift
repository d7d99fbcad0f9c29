import Foundation
@_spi(Testing) import Lith
@_spi(Testing) import LithTestSupport
import LithTesting
import Testing

@testable import LithApp

/// Sessions end on the server's clock: absolute lifetime, idle time, and the
/// longer "remember me" pair; and a signed-in view writes rarely.
@Suite("Session lifetimes")
struct SessionLifetimeTests {
    @Test func anIdleSessionEndsAfterThirtyMinutes() async throws {
        try await TestApp.run { app, client in
            let browser = TestBrowser(client)
            try await browser.logIn(as: try await app.user(), using: app.authentication)
            app.clock.advance(by: 29 * 60)
            #expect(try await browser.get("/dashboard").status == .ok)
            app.clock.advance(by: 29 * 60)  // active: the idle clock restarted at the last visit
            #expect(try await browser.get("/dashboard").status == .ok)
            app.clock.advance(by: 31 * 60)
            let expired = try await browser.get("/dashboard")
            #expect(expired.location == "/login?next=/dashboard")
            #expect(try await browser.follow(expired).body.contains("Your session has expired"))
            #expect(try await app.store.sessionCount() == 0)
        }
    }

    @Test func anActiveSessionStillEndsAfterTwelveHours() async throws {
        try await TestApp.run { app, client in
            let browser = TestBrowser(client)
            try await browser.logIn(as: try await app.user(), using: app.authentication)
            for _ in 0..<(12 * 60 / 20 - 1) {
                app.clock.advance(by: 20 * 60)
                #expect(try await browser.get("/dashboard").status == .ok)
            }
            app.clock.advance(by: 20 * 60)
            #expect(try await browser.get("/dashboard").location == "/login?next=/dashboard")
        }
    }

    @Test func aRememberedSessionSurvivesADayAwayButNotAWeek() async throws {
        try await TestApp.run { app, client in
            let browser = TestBrowser(client)
            try await browser.logIn(as: try await app.user(), using: app.authentication, rememberMe: true)
            app.clock.advance(by: 6 * 86400)
            #expect(try await browser.get("/dashboard").status == .ok)
            app.clock.advance(by: 7 * 86400 + 1)
            #expect(try await browser.get("/dashboard").location == "/login?next=/dashboard")
        }
    }

    @Test func aRememberedSessionEndsAfterThirtyDaysWhateverTheActivity() async throws {
        try await TestApp.run { app, client in
            let browser = TestBrowser(client)
            try await browser.logIn(as: try await app.user(), using: app.authentication, rememberMe: true)
            for _ in 0..<4 {
                app.clock.advance(by: 6 * 86400)
                #expect(try await browser.get("/dashboard").status == .ok)
            }
            app.clock.advance(by: 6 * 86400)
            #expect(try await browser.get("/dashboard").location == "/login?next=/dashboard")
        }
    }

    @Test func timeoutsAreConfigurable() async throws {
        try await TestApp.run(configure: { $0.sessions.idleTimeout = 60 }) { app, client in
            let browser = TestBrowser(client)
            try await browser.logIn(as: try await app.user(), using: app.authentication)
            app.clock.advance(by: 61)
            #expect(try await browser.get("/dashboard").status == .found)
        }
    }

    @Test func lastSeenIsWrittenAtMostOncePerMinute() async throws {
        try await TestApp.run { app, client in
            let browser = TestBrowser(client)
            let user = try await app.user()
            try await browser.logIn(as: user, using: app.authentication)
            let cookie = try #require(await browser.cookie("lith_session"))
            let token = try #require(SessionToken(cookieValue: cookie))
            let created = try #require(try await app.store.session(digest: token.digest)).0.lastSeenAt
            app.clock.advance(by: 30)
            _ = try await browser.get("/dashboard")
            #expect(try #require(try await app.store.session(digest: token.digest)).0.lastSeenAt == created)
            app.clock.advance(by: 31)
            _ = try await browser.get("/dashboard")
            #expect(try #require(try await app.store.session(digest: token.digest)).0.lastSeenAt == app.clock.now)
        }
    }
}
