import HTTPTypes
import HummingbirdTesting
@_spi(Testing) import Lith
@_spi(Testing) import LithTestSupport
import LithTesting
import Testing

@testable import LithApp

/// Every POST needs the browser's CSRF token and a same-origin source; a guest's
/// token costs the database nothing.
@Suite("CSRF")
struct CSRFTests {
    @Test(arguments: ["/signup", "/login"])
    func aPostWithoutTheTokenIsRefusedAndChangesNothing(path: String) async throws {
        try await TestApp.run { app, client in
            try await app.user("ada@example.com")
            let browser = TestBrowser(client)
            _ = try await browser.get("/login")  // holds a guest cookie, but sends no token
            let response = try await browser.post(
                path,
                fields: ["email": "bob@example.com", "password": TestApp.password, "password_confirmation": TestApp.password]
            )
            #expect(response.status == .forbidden)
            #expect(response.setCookie(named: "lith_session") == nil)
            #expect(try await app.store.users().count == 1)
            #expect(try await app.store.sessionCount() == 0)
        }
    }

    @Test func aTokenFromAnotherBrowserIsRefused() async throws {
        try await TestApp.run { app, client in
            try await app.user("ada@example.com")
            // given the attacker's own valid token
            let attacker = TestBrowser(client)
            let attackersToken = try #require(try await attacker.get("/login").csrfToken(forFormWithAction: "/login"))
            // when the victim's browser is made to post it (login CSRF)
            let victim = TestBrowser(client)
            _ = try await victim.get("/login")
            let response = try await victim.post(
                "/login",
                fields: ["csrf_token": attackersToken, "email": "ada@example.com", "password": TestApp.password]
            )
            #expect(response.status == .forbidden)
        }
    }

    @Test func aGuestWithoutTheCSRFCookieCannotPost() async throws {
        try await TestApp.run { app, client in
            try await app.user("ada@example.com")
            let browser = TestBrowser(client)
            let token = try #require(try await browser.get("/login").csrfToken(forFormWithAction: "/login"))
            await browser.setCookie("lith_csrf", nil)
            let response = try await browser.post("/login", fields: ["csrf_token": token, "email": "ada@example.com", "password": TestApp.password])
            #expect(response.status == .forbidden)
        }
    }

    @Test(arguments: [
        ("Origin", "https://evil.example", false), ("Origin", "null", false), ("Origin", "http://127.0.0.1:1", false),
        ("Sec-Fetch-Site", "cross-site", false), ("Sec-Fetch-Site", "same-site", false),
        ("Sec-Fetch-Site", "same-origin", true), ("Sec-Fetch-Site", "none", true),
    ])
    func whatTheBrowserSaysAboutWhereAPostCameFromIsHeededEvenWithAValidToken(header: String, value: String, accepted: Bool) async throws {
        try await TestApp.run { app, client in
            // given a guest with a valid token
            try await app.user("ada@example.com")
            let browser = TestBrowser(client)
            let token = try #require(try await browser.get("/login").csrfToken(forFormWithAction: "/login"))
            // when the login POST says it came from `value`
            let response = try await browser.post(
                "/login",
                fields: ["csrf_token": token, "email": "ada@example.com", "password": TestApp.password],
                headers: [HTTPField.Name(header)!: value]
            )
            // then only same-origin (or user-initiated) requests get through
            #expect(response.status == (accepted ? .seeOther : .forbidden))
            #expect(try await app.store.sessionCount() == (accepted ? 1 : 0))
        }
    }

    @Test func scriptsMaySendTheTokenInAHeaderWithABodyOfTheirOwn() async throws {
        try await TestApp.run { app, client in
            let browser = TestBrowser(client)
            try await browser.logIn(as: try await app.user(), using: app.authentication)
            let token = try #require(try await browser.get("/dashboard").csrfToken(forFormWithAction: "/logout"))
            let response = try await browser.post(
                "/logout",
                body: "{}",
                headers: [.contentType: "application/json", HTTPField.Name("X-CSRF-Token")!: token]
            )
            #expect(response.location == "/login")
            #expect(try await app.store.sessionCount() == 0)
        }
    }

    @Test func aWrongTokenInTheHeaderIsRefused() async throws {
        try await TestApp.run { app, client in
            let browser = TestBrowser(client)
            try await browser.logIn(as: try await app.user(), using: app.authentication)
            let response = try await browser.post("/logout", body: "", headers: [HTTPField.Name("X-CSRF-Token")!: "forged"])
            #expect(response.status == .forbidden)
            #expect(try await app.store.sessionCount() == 1)
        }
    }

    @Test func headAndOptionsCannotLogAnyoneOut() async throws {
        try await TestApp.run { app, client in
            let browser = TestBrowser(client)
            try await browser.logIn(as: try await app.user(), using: app.authentication)
            let cookie = try #require(await browser.cookie("lith_session"))
            for method in [HTTPRequest.Method.head, .options] {
                let response = try await client.executeRequest(
                    uri: "/logout",
                    method: method,
                    headers: [.cookie: "lith_session=\(cookie)"],
                    body: nil
                )
                #expect(![.found, .seeOther].contains(response.status))
            }
            #expect(try await app.store.sessionCount() == 1)
        }
    }

    @Test func aGuestViewingFormsWritesNothingToTheDatabase() async throws {
        try await TestApp.run { app, client in
            let browser = TestBrowser(client)
            for path in ["/", "/login", "/signup", "/login", "/dashboard"] { _ = try await browser.get(path) }
            #expect(try await app.store.sessionCount() == 0)
            #expect(try await app.store.users().isEmpty)
            #expect(await browser.cookie("lith_csrf") != nil)
        }
    }

    @Test func theGuestTokenIsStableAcrossPagesOfOneBrowser() async throws {
        try await TestApp.run { app, client in
            let browser = TestBrowser(client)
            let first = try await browser.get("/login").csrfToken(forFormWithAction: "/login")
            let second = try await browser.get("/signup").csrfToken(forFormWithAction: "/signup")
            #expect(first != nil)
            #expect(first == second)
        }
    }

    // MARK: two tabs

    @Test func aStaleLoginFormFromAnotherTabTakesASignedInUserHomeNotToA403() async throws {
        try await TestApp.run { app, client in
            // given a login form opened in tab A, then a login in tab B
            try await app.user("ada@example.com")
            let browser = TestBrowser(client)
            let staleToken = try await browser.token()
            try await browser.logIn(email: "ada@example.com", password: TestApp.password)
            let sessions = try await app.sessionCount()
            // when tab A's form is submitted
            let response = try await browser.post("/login", fields: ["csrf_token": staleToken, "email": "ada@example.com", "password": "whatever"])
            // then they land on the dashboard, still signed in, and nothing changed
            #expect(response.status == .seeOther)
            #expect(response.location == "/dashboard")
            #expect(try await app.sessionCount() == sessions)
            #expect(try await browser.get("/dashboard").status == .ok)
        }
    }

    @Test func aSecondLogoutFromAnotherTabLandsOnTheLoginPageNotOnA403() async throws {
        try await TestApp.run { app, client in
            // given two tabs on the dashboard, and a logout in the first
            try await app.user("ada@example.com")
            let browser = TestBrowser(client)
            try await browser.logIn(email: "ada@example.com", password: TestApp.password)
            let token = try await browser.token(on: "/dashboard", for: "/logout")
            try await browser.post("/logout", fields: ["csrf_token": token])
            // when the second tab's Logout is pressed
            let response = try await browser.post("/logout", fields: ["csrf_token": token])
            // then it lands on the login page
            #expect(response.status == .seeOther)
            #expect(response.location == "/login")
        }
    }

    @Test func aRealRefusalShowsTheSignedInUsersOwnNavbar() async throws {
        try await TestApp.run { app, client in
            // given a signed-in user
            try await app.user("ada@example.com")
            let browser = TestBrowser(client)
            try await browser.logIn(email: "ada@example.com", password: TestApp.password)
            // when a forged logout arrives without the token
            let response = try await browser.post("/logout")
            // then it is refused, on a page that still knows who they are
            #expect(response.status == .forbidden)
            #expect(response.body.contains("ada@example.com"))
            #expect(response.body.contains("action=\"/logout\""))
            #expect(try await browser.get("/dashboard").status == .ok)
        }
    }
}
