import HTTPTypes
import HummingbirdTesting
@_spi(Testing) import Lith
@_spi(Testing) import LithTestSupport
import LithTesting
import Testing

@testable import LithApp

/// The routes' access rules: login required by default, guest-only pages, public pages.
@Suite("Guards")
struct GuardTests {
    @Test func theRootSendsEveryoneToTheDashboard() async throws {
        try await TestApp.run { app, client in
            let response = try await TestBrowser(client).get("/")
            #expect(response.status == .found)
            #expect(response.location == "/dashboard")
        }
    }

    @Test func theDashboardSendsGuestsToLogInWithNext() async throws {
        try await TestApp.run { app, client in
            let response = try await TestBrowser(client).get("/dashboard")
            #expect([.found, .seeOther].contains(response.status))
            #expect(response.location == "/login?next=/dashboard")
        }
    }

    @Test func theDashboardGreetsASignedInUserWithTheNavbar() async throws {
        try await TestApp.run { app, client in
            let browser = TestBrowser(client)
            try await browser.logIn(as: try await app.user("ada@example.com"), using: app.authentication)
            let page = try await browser.get("/dashboard")
            #expect(page.status == .ok)
            #expect(page.body.contains("Hello, <span class=\"email\">ada@example.com!</span>"))
            // the navbar: the email and a Logout button that POSTs with the token
            let logout = try #require(page.form(action: "/logout"))
            #expect(logout.contains("method=\"post\""))
            #expect(logout.contains("<button type=\"submit\""))
            #expect(page.csrfToken(forFormWithAction: "/logout")?.isEmpty == false)
        }
    }

    @Test func guestPagesShowLogInAndSignUpLinksInTheNavbar() async throws {
        try await TestApp.run { app, client in
            let page = try await TestBrowser(client).get("/signup")
            #expect(page.body.contains("<a href=\"/login\">Log in</a>"))
            #expect(page.body.contains("href=\"/signup\""))
            #expect(page.form(action: "/logout") == nil)
        }
    }

    @Test func unknownPathsGetANotFoundPage() async throws {
        try await TestApp.run { app, client in
            let page = try await TestBrowser(client).get("/no/such/page")
            #expect(page.status == .notFound)
            #expect(page.body.contains("Page not found"))
            #expect(page.headers[.contentType]?.hasPrefix("text/html") == true)
        }
    }

    @Test func anErrorPageForASignedInUserShowsTheirNavbar() async throws {
        try await TestApp.run { app, client in
            // Given a signed-in user
            let browser = TestBrowser(client)
            try await browser.signUp(email: "ada@example.com", password: TestApp.password)
            // When they ask for a page that doesn't exist
            let page = try await browser.get("/no/such/page")
            // Then the not-found page knows them, and carries the security headers
            #expect(page.status == .notFound)
            #expect(page.body.contains("Page not found"))
            #expect(page.body.contains("ada@example.com"))
            #expect(page.form(action: "/logout") != nil)
            #expect(page.headers[.contentSecurityPolicy] != nil)
        }
    }

    @Test func outputIsHTMLEscaped() async throws {
        try await TestApp.run { app, client in
            let page = try await TestBrowser(client).logIn(email: "<script>alert(1)</script>@x.io", password: "whatever-pass")
            #expect(!page.body.contains("<script>alert(1)</script>"))
            #expect(page.body.contains("&lt;script&gt;"))
        }
    }
}
