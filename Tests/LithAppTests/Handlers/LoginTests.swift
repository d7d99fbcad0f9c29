import HTTPTypes
import HummingbirdTesting
@_spi(Testing) import Lith
@_spi(Testing) import LithTestSupport
import LithTesting
import Testing

@testable import LithApp

/// Ported from the seed documents (guest-only login page, the "sneaky bug"
/// where login didn't really log in, `next`) and the security decisions on login.
@Suite("Login")
struct LoginTests {
    @Test func loginPageCanBeAccessedByGuests() async throws {
        try await TestApp.run { app, client in
            let page = try await TestBrowser(client).get("/login")
            #expect(page.status == .ok)
            #expect(page.body.contains("name=\"email\" type=\"email\" autocomplete=\"email\""))
            #expect(page.body.contains("autocomplete=\"current-password\""))
            #expect(page.body.contains("name=\"remember_me\""))
            #expect(page.csrfToken(forFormWithAction: "/login")?.isEmpty == false)
        }
    }

    @Test func authenticatedUsersAreRedirectedToTheDashboardFromTheLoginPage() async throws {
        try await TestApp.run { app, client in
            // given a signed-in user
            let browser = TestBrowser(client)
            try await browser.logIn(as: try await app.user(), using: app.authentication)
            // when they open the login page
            let response = try await browser.get("/login")
            // then they are sent to the dashboard
            #expect([.found, .seeOther].contains(response.status))
            #expect(response.location == "/dashboard")
        }
    }

    @Test func validCredentialsLogInAndTheSessionIsAuthenticated() async throws {
        try await TestApp.run { app, client in
            // given an account
            try await app.user("ada@example.com")
            let browser = TestBrowser(client)
            // when its owner logs in
            let response = try await browser.logIn(email: "ada@example.com", password: TestApp.password)
            // then they go to the dashboard and really are signed in (the seed's "sneaky bug")
            #expect(response.status == .seeOther)
            #expect(response.location == "/dashboard")
            let dashboard = try await browser.follow(response)
            #expect(dashboard.status == .ok)
            #expect(dashboard.body.contains("Hello, <span class=\"email\">ada@example.com!</span>"))
            #expect(try await app.store.sessionCount() == 1)
        }
    }

    @Test func emailIsMatchedCaseInsensitivelyAndTrimmed() async throws {
        try await TestApp.run { app, client in
            try await app.user("ada@example.com")
            let response = try await TestBrowser(client).logIn(email: "  ADA@Example.COM ", password: TestApp.password)
            #expect(response.location == "/dashboard")
        }
    }

    @Test func wrongPasswordAndUnknownEmailGetTheSameAnswer() async throws {
        try await TestApp.run { app, client in
            // given one account
            try await app.user("ada@example.com")
            // when someone tries a wrong password, and an email with no account
            let wrongPassword = try await TestBrowser(client).logIn(email: "ada@example.com", password: "not the password")
            let unknownEmail = try await TestBrowser(client).logIn(email: "bob@example.com", password: "not the password")
            // then both get the same status and message, and nobody is signed in
            #expect(wrongPassword.status == unknownEmail.status)
            #expect(wrongPassword.status == .unprocessableContent)
            #expect(wrongPassword.body.contains("Invalid email or password"))
            #expect(unknownEmail.body.contains("Invalid email or password"))
            #expect(wrongPassword.setCookie(named: "lith_session") == nil)
            #expect(try await app.store.sessionCount() == 0)
        }
    }

    @Test func aFailedLoginKeepsTheEmailInTheForm() async throws {
        try await TestApp.run { app, client in
            let page = try await TestBrowser(client).logIn(email: "ada@example.com", password: "nope-nope")
            #expect(page.inputValue("email", inFormWithAction: "/login") == "ada@example.com")
        }
    }

    @Test(arguments: [("", TestApp.password, "Enter your email address"), ("ada@example.com", "", "Enter a password")])
    func emptyEmailOrPasswordIsRejected(email: String, password: String, message: String) async throws {
        try await TestApp.run { app, client in
            try await app.user("ada@example.com")
            let page = try await TestBrowser(client).logIn(email: email, password: password)
            #expect(page.status == .unprocessableContent)
            #expect(page.body.contains(message))
            #expect(try await app.store.sessionCount() == 0)
        }
    }

    @Test func loginRequiredRedirectsWithNextAndLoginReturnsThere() async throws {
        try await TestApp.run { app, client in
            // given an account and a guest who asks for the dashboard with a query
            try await app.user("ada@example.com")
            let browser = TestBrowser(client)
            let redirect = try await browser.get("/dashboard?tab=security&x=1")
            // then they are sent to log in with the page they wanted, percent-encoded
            #expect(redirect.location == "/login?next=/dashboard%3Ftab%3Dsecurity%26x%3D1")
            // when they log in from that page
            let login = try await browser.follow(redirect)
            #expect(login.inputValue("next", inFormWithAction: "/login") == "/dashboard?tab=security&x=1")
            let response = try await browser.submit(
                ["email": "ada@example.com", "password": TestApp.password],
                from: redirect.location!,
                action: "/login"
            )
            // then they come back to it
            #expect(response.location == "/dashboard?tab=security&x=1")
        }
    }

    @Test(arguments: [
        "//evil.example", "/\\evil.example", "https://evil.example/", "http:evil.example", "javascript:alert(1)",
        "/\t/evil.example", " //evil.example", "evil.example", "\\\\evil.example", "/\u{0}/evil.example",
    ])
    func openRedirectAttemptsFallBackToTheDashboard(next: String) async throws {
        try await TestApp.run { app, client in
            try await app.user("ada@example.com")
            let response = try await TestBrowser(client).submit(
                ["email": "ada@example.com", "password": TestApp.password, "next": next],
                from: "/login",
                action: "/login"
            )
            #expect(response.status == .seeOther)
            #expect(response.location == "/dashboard")
        }
    }

    @Test func loginIgnoresAPlantedTokenAndIssuesABrandNewOne() async throws {
        try await TestApp.run { app, client in
            // given an account, and a browser carrying a session cookie an attacker planted
            try await app.user("ada@example.com")
            let planted = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
            let browser = TestBrowser(client)
            await browser.setCookie("lith_session", planted)
            // when the user logs in
            let response = try await browser.logIn(email: "ada@example.com", password: TestApp.password)
            // then they hold a fresh token, and the planted one signs nobody in
            let issued = try #require(await browser.cookie("lith_session"))
            #expect(response.location == "/dashboard")
            #expect(issued != planted)
            let attacker = TestBrowser(client)
            await attacker.setCookie("lith_session", planted)
            #expect(try await attacker.get("/dashboard").location == "/login?next=/dashboard")
        }
    }

    @Test func loggingInAfterLoggingOutLeavesExactlyOneSession() async throws {
        try await TestApp.run { app, client in
            // given a browser that logged in and out
            try await app.user("ada@example.com")
            let browser = TestBrowser(client)
            try await browser.logIn(email: "ada@example.com", password: TestApp.password)
            let first = try #require(await browser.cookie("lith_session"))
            try await browser.logOut()
            // when it logs in again
            try await browser.logIn(email: "ada@example.com", password: TestApp.password)
            // then it has a different token and there is still exactly one session
            let second = try #require(await browser.cookie("lith_session"))
            #expect(first != second)
            #expect(try await app.store.sessionCount() == 1)
        }
    }

    @Test func theCSRFTokenChangesAtLogin() async throws {
        try await TestApp.run { app, client in
            // given a guest with a login form and its token
            try await app.user("ada@example.com")
            let browser = TestBrowser(client)
            let guestToken = try #require(try await browser.get("/login").csrfToken(forFormWithAction: "/login"))
            // when they log in
            try await browser.logIn(email: "ada@example.com", password: TestApp.password)
            // then the pages carry a different token, and the guest one no longer works
            let sessionToken = try #require(try await browser.get("/dashboard").csrfToken(forFormWithAction: "/logout"))
            #expect(sessionToken != guestToken)
            #expect(try await browser.post("/logout", fields: ["csrf_token": guestToken]).status == .forbidden)
            #expect(try await browser.get("/dashboard").status == .ok)
        }
    }

    @Test func rememberMeMakesAPersistentCookieAndPlainLoginABrowserSessionCookie() async throws {
        try await TestApp.run { app, client in
            try await app.user("ada@example.com")
            let plain = try await TestBrowser(client).logIn(email: "ada@example.com", password: TestApp.password)
            let remembered = try await TestBrowser(client).logIn(email: "ada@example.com", password: TestApp.password, rememberMe: true)
            #expect(plain.setCookie(named: "lith_session")?.contains("Max-Age") == false)
            #expect(remembered.setCookie(named: "lith_session")?.contains("Max-Age=2592000") == true)
        }
    }

    @Test func aLegacyHashIsUpgradedToTheCurrentParametersAtLogin() async throws {
        try await TestApp.run { app, client in
            // given an account whose hash was made with weaker parameters than today's
            let weak = PasswordHasher(parameters: try ScryptParameters(logN: 2, r: 8, p: 1), maximumConcurrentHashes: 1)
            let legacy = try await weak.hash(try Password(TestApp.password))
            let user = try await app.store.insertUser(email: try EmailAddress("ada@example.com"), passwordHash: legacy, at: app.clock.now)
            // when its owner logs in
            let response = try await TestBrowser(client).logIn(email: "ada@example.com", password: TestApp.password)
            // then the stored hash now uses the current parameters and still verifies
            #expect(response.location == "/dashboard")
            let upgraded = try PasswordHash(encoded: try #require(try await app.store.credentials(email: user.email)).passwordHash)
            #expect(upgraded.parameters == .testsOnly)
            #expect(upgraded != legacy)
        }
    }
}
