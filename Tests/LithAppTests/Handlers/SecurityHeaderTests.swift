import HTTPTypes
import Hummingbird
import HummingbirdTesting
@_spi(Testing) import Lith
@_spi(Testing) import LithTestSupport
import LithTesting
import NIOCore
import Testing

@testable import LithApp

/// The headers and cookie flags DESIGN.md promises on every page.
@Suite("Security headers and cookies")
struct SecurityHeaderTests {
    @Test(arguments: ["/login", "/signup", "/no-such-page", "/logout"])
    func everyPageCarriesTheSecurityHeaders(path: String) async throws {
        try await TestApp.run { app, client in
            let page = try await TestBrowser(client).get(path)
            let csp = try #require(page.headers[.contentSecurityPolicy])
            for directive in ["default-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'", "form-action 'self'"] {
                #expect(csp.contains(directive))
            }
            #expect(page.headers[HTTPField.Name("X-Content-Type-Options")!] == "nosniff")
            #expect(page.headers[HTTPField.Name("Referrer-Policy")!] == "same-origin")
            #expect(page.headers[.cacheControl] == "no-store")
            #expect(page.headers[HTTPField.Name("Strict-Transport-Security")!] == nil)
        }
    }

    @Test func theDashboardIsNeverCached() async throws {
        try await TestApp.run { app, client in
            let browser = TestBrowser(client)
            try await browser.logIn(as: try await app.user(), using: app.authentication)
            #expect(try await browser.get("/dashboard").headers[.cacheControl] == "no-store")
        }
    }

    @Test func theSessionCookieIsHttpOnlySameSiteLaxWithPathRoot() async throws {
        try await TestApp.run { app, client in
            let response = try await TestBrowser(client).signUp(email: "ada@example.com", password: TestApp.password)
            let cookie = try #require(response.setCookie(named: "lith_session"))
            #expect(cookie.contains("HttpOnly"))
            #expect(cookie.contains("SameSite=Lax"))
            #expect(cookie.contains("Path=/"))
            #expect(!cookie.contains("Secure"))
            let value = try #require(cookie.split(separator: ";").first?.split(separator: "=", maxSplits: 1).last)
            #expect(value.count == 43)  // 256 bits, base64url
        }
    }

    @Test func secureDeploymentsUseSecureHostPrefixedCookiesAndHSTS() async throws {
        try await TestApp.run(configure: { $0.secureCookies = true }) { app, client in
            let browser = TestBrowser(client, origin: "https://localhost")
            let form = try await browser.get("/signup")
            #expect(form.headers[HTTPField.Name("Strict-Transport-Security")!]?.contains("max-age=") == true)
            let csrf = try #require(form.setCookie(named: "__Host-lith_csrf"))
            #expect(csrf.contains("Secure"))
            let response = try await browser.signUp(email: "ada@example.com", password: TestApp.password)
            let session = try #require(response.setCookie(named: "__Host-lith_session"))
            #expect(session.contains("Secure"))
            #expect(session.contains("Path=/"))
            #expect(!session.contains("Domain"))
            #expect(try await browser.get("/dashboard").status == .ok)
        }
    }
}
