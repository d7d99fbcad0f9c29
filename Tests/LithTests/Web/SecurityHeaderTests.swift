import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Lith
import LithTesting
import NIOCore
import Testing

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
            let browser = TestBrowser(client)
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

    @Test func theStoreKeepsOnlyTheDigestOfTheSessionToken() async throws {
        try await TestApp.run { app, client in
            let browser = TestBrowser(client)
            try await browser.signUp(email: "ada@example.com", password: TestApp.password)
            let cookie = try #require(await browser.cookie("lith_session"))
            let token = try #require(SessionToken(cookieValue: cookie))
            // the row is found by the digest and the digest is not the token
            #expect(try await app.store.session(digest: token.digest) != nil)
            #expect(token.digest.hex != cookie)
            #expect(token.digest.hex.count == 64)
        }
    }

    @Test func withoutErrorPagesAHandlersHTTPErrorStillGetsTheHeaders() async throws {
        let database = TemporaryDatabase()
        defer { database.remove() }
        let store = try await SQLiteStore.open(path: database.path)
        try await store.migrate()
        // Given Lith's middleware with no error pages of the app's own
        let router = Router(context: AppRequestContext.self)
        router.addLithMiddleware(try await Authentication.make(store: store))
        router.get("/gone") { _, _ -> Response in throw HTTPError(.gone, message: "moved on") }
        try await Application(router: router).test(.router) { client in
            // When a handler throws an HTTP error
            try await client.execute(uri: "/gone", method: .get) { response in
                // Then it is that error's response, with the security headers
                #expect(response.status == .gone)
                #expect(String(buffer: response.body).contains("moved on"))
                #expect(response.headers[.contentSecurityPolicy] != nil)
                #expect(response.headers[.cacheControl] == "no-store")
            }
        }
        try await store.close()
    }

    @Test func aRouteThatSetsItsOwnPolicyKeepsItAndGetsTheRest() async throws {
        let router = Router()
        router.add(middleware: SecurityHeadersMiddleware(secure: false))
        router.get("/embed") { _, _ in
            Response(status: .ok, headers: [.contentSecurityPolicy: "default-src 'self'; frame-ancestors https://partner.example"])
        }
        try await Application(router: router).test(.router) { client in
            try await client.execute(uri: "/embed", method: .get) { response in
                #expect(response.headers[.contentSecurityPolicy] == "default-src 'self'; frame-ancestors https://partner.example")
                #expect(response.headers[values: .contentSecurityPolicy].count == 1)
                #expect(response.headers[HTTPField.Name("X-Content-Type-Options")!] == "nosniff")
                #expect(response.headers[.cacheControl] == "no-store")
            }
        }
    }
}

/// The exact `Set-Cookie` lines Lith writes, attribute by attribute.
@Suite("Set-Cookie lines")
struct SetCookieTests {
    @Test func aBrowserSessionCookieHasNoLifetimeAndEveryGuard() {
        let line = CookieSettings().cookie("lith_csrf", value: "abc").headerValue
        #expect(line == "lith_csrf=abc; Path=/; HttpOnly; SameSite=Lax")
    }

    @Test func aLastingCookieSaysHowLongInSeconds() {
        let line = CookieSettings().cookie("lith_session", value: "abc", maxAge: 2_592_000).headerValue
        #expect(line == "lith_session=abc; Max-Age=2592000; Path=/; HttpOnly; SameSite=Lax")
    }

    @Test func anExpiredCookieIsEmptyWithAPastExpiryBothWays() {
        let line = CookieSettings().expired("lith_flash").headerValue
        #expect(line == "lith_flash=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/; HttpOnly; SameSite=Lax")
    }

    @Test func secureSettingsAddSecureAndTheHostPrefix() {
        let settings = CookieSettings(secure: true)
        #expect(settings.cookie(settings.sessionName, value: "abc").headerValue == "__Host-lith_session=abc; Path=/; Secure; HttpOnly; SameSite=Lax")
        #expect(settings.expired(settings.csrfName).headerValue.hasSuffix("; Path=/; Secure; HttpOnly; SameSite=Lax"))
    }
}
