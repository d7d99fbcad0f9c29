import HTTPTypes
import HummingbirdTesting
@_spi(Testing) import Lith
@_spi(Testing) import LithTestSupport
import LithTesting
import Testing

@testable import LithApp

/// Ported from the seed's Django lab (`test_user_can_logout_to_terminate_session`,
/// `test_logout_is_not_accessible_via_GET`), plus what logout must do beyond them.
@Suite("Logout")
struct LogoutTests {
    @Test func userCanLogOutToTerminateTheSession() async throws {
        try await TestApp.run { app, client in
            // given a signed-in user
            let browser = TestBrowser(client)
            try await browser.signUp(email: "ada@example.com", password: TestApp.password)
            // when they press Logout
            let response = try await browser.logOut()
            // then they land on the login page, told once that they are out, as a guest
            #expect([.found, .seeOther].contains(response.status))
            #expect(response.location == "/login")
            let login = try await browser.follow(response)
            #expect(login.body.contains("You have been logged out"))
            #expect(login.body.contains("href=\"/signup\""))
            let again = try await browser.get("/login")
            #expect(!again.body.contains("You have been logged out"))
            #expect(try await browser.get("/dashboard").location == "/login?next=/dashboard")
        }
    }

    @Test func logoutIsNotAccessibleViaGet() async throws {
        try await TestApp.run { app, client in
            // given a signed-in user
            let browser = TestBrowser(client)
            try await browser.signUp(email: "ada@example.com", password: TestApp.password)
            // when something follows a link to /logout
            let response = try await browser.get("/logout")
            // then it is refused and the session lives on
            #expect(response.status == .methodNotAllowed)
            #expect(response.headers[.allow] == "POST")
            #expect(try await browser.get("/dashboard").status == .ok)
        }
    }

    @Test func logoutDeletesTheSessionSoTheOldCookieIsAGuestWhenReplayed() async throws {
        try await TestApp.run { app, client in
            // given a signed-in browser whose cookie an attacker copied
            let browser = TestBrowser(client)
            try await browser.signUp(email: "ada@example.com", password: TestApp.password)
            let stolen = try #require(await browser.cookie("lith_session"))
            // when the user logs out
            try await browser.logOut()
            // then the copied cookie no longer signs anyone in, and no session row is left
            let attacker = TestBrowser(client)
            await attacker.setCookie("lith_session", stolen)
            #expect(try await attacker.get("/dashboard").location == "/login?next=/dashboard")
            #expect(try await app.store.sessionCount() == 0)
        }
    }

    @Test func theFlashIsShownOnceEvenOnAnErrorPage() async throws {
        try await TestApp.run { app, client in
            let browser = TestBrowser(client)
            await browser.setCookie("lith_flash", "logged_out")
            let errorPage = try await browser.get("/missing")
            let next = try await browser.get("/login")
            #expect(errorPage.body.contains("You have been logged out"))
            #expect(!next.body.contains("You have been logged out"))
        }
    }

    @Test func aRedirectKeepsTheFlashForThePageAfterIt() async throws {
        try await TestApp.run { app, client in
            let browser = TestBrowser(client)
            await browser.setCookie("lith_flash", "logged_out")
            let redirect = try await browser.get("/")
            let login = try await browser.get("/login")
            #expect(redirect.status == .found)
            #expect(login.body.contains("You have been logged out"))
        }
    }

    @Test func logoutClearsTheSessionCookie() async throws {
        try await TestApp.run { app, client in
            let browser = TestBrowser(client)
            try await browser.signUp(email: "ada@example.com", password: TestApp.password)
            let response = try await browser.logOut()
            let cookie = try #require(response.setCookie(named: "lith_session"))
            #expect(cookie.contains("Max-Age=0"))
            #expect(await browser.cookie("lith_session") == nil)
        }
    }

    @Test func aForgedLogoutWithoutTheTokenLeavesTheUserSignedIn() async throws {
        try await TestApp.run { app, client in
            // given a signed-in user
            let browser = TestBrowser(client)
            try await browser.signUp(email: "ada@example.com", password: TestApp.password)
            // when another site makes their browser POST /logout without the token
            let forged = try await browser.post("/logout")
            // then it is refused and they stay signed in
            #expect(forged.status == .forbidden)
            #expect(try await browser.get("/dashboard").status == .ok)
        }
    }

    @Test func aGuestLoggingOutIsSentToTheLoginPage() async throws {
        try await TestApp.run { app, client in
            // given a guest holding a valid guest CSRF token
            let browser = TestBrowser(client)
            let token = try #require(try await browser.get("/login").csrfToken(forFormWithAction: "/login"))
            // when they POST /logout
            let response = try await browser.post("/logout", fields: ["csrf_token": token])
            // then they are sent to log in, with no "logged out" message
            #expect(response.status == .seeOther)
            #expect(response.location == "/login")
            #expect(!(try await browser.follow(response).body.contains("You have been logged out")))
        }
    }
}
