import HTTPTypes
import HummingbirdTesting
@_spi(Testing) import Lith
@_spi(Testing) import LithTestSupport
import LithTesting
import Testing

@testable import LithApp

/// Hostile and broken requests get a clear 4xx page, never a 5xx or a crash.
@Suite("Bad input")
struct BadInputTests {
    /// A guest browser holding a valid login-form token.
    private func guestWithToken(_ client: any TestClientProtocol) async throws -> (TestBrowser, String) {
        let browser = TestBrowser(client)
        let token = try #require(try await browser.get("/login").csrfToken(forFormWithAction: "/login"))
        return (browser, token)
    }

    @Test func aBodyOver64KiBIsRefusedWith413() async throws {
        try await TestApp.run { app, client in
            let (browser, token) = try await guestWithToken(client)
            let body = "csrf_token=\(token)&email=a%40b.io&password=" + String(repeating: "x", count: 70 * 1024)
            let response = try await browser.post("/login", body: body)
            #expect(response.status == .contentTooLarge)
            #expect(response.body.contains("larger than this site accepts") || response.body.contains("too large"))
        }
    }

    @Test(arguments: ["csrf_token=%zz", "email=%E0%A4", "a=%", "password=%FF%FE"])
    func malformedFormsAndInvalidUTF8AreRefusedWith400(body: String) async throws {
        try await TestApp.run { app, client in
            let (browser, _) = try await guestWithToken(client)
            let response = try await browser.post("/login", body: body)
            #expect(response.status == .badRequest)
            #expect(response.headers[.contentType]?.hasPrefix("text/html") == true)
        }
    }

    @Test(arguments: ["application/json", "text/plain", "multipart/form-data; boundary=x"])
    func aBodyThatIsNotAFormAndHasNoTokenHeaderIsRefusedWith403(contentType: String) async throws {
        try await TestApp.run { app, client in
            let (browser, _) = try await guestWithToken(client)
            let response = try await browser.post("/login", body: "{\"email\":\"a@b.io\"}", headers: [.contentType: contentType])
            #expect(response.status == .forbidden)
        }
    }

    @Test func anOverlongEmailAtLoginShowsTheFormWithAnError() async throws {
        try await TestApp.run { app, client in
            let email = String(repeating: "a", count: 300) + "@example.com"
            let page = try await TestBrowser(client).logIn(email: email, password: TestApp.password)
            #expect(page.status == .unprocessableContent)
            #expect(page.body.contains("at most 254 characters"))
        }
    }

    @Test func anOverlongPasswordAtLoginIsRefusedBeforeHashing() async throws {
        try await TestApp.run { app, client in
            try await app.user("ada@example.com")
            let page = try await TestBrowser(client).logIn(email: "ada@example.com", password: String(repeating: "x", count: 1025))
            #expect(page.status == .unprocessableContent)
            #expect(page.body.contains("at most 1024 bytes"))
        }
    }

    @Test(arguments: [
        "garbage", "", String(repeating: "A", count: 4096), "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB",
    ])
    func aGarbageSessionCookieIsAGuestAndIsCleared(cookie: String) async throws {
        try await TestApp.run { app, client in
            let browser = TestBrowser(client)
            await browser.setCookie("lith_session", cookie)
            let response = try await browser.get("/dashboard")
            #expect(response.location == "/login?next=/dashboard")
            if !cookie.isEmpty {  // an empty cookie is no cookie: nothing to clear
                #expect(response.setCookie(named: "lith_session")?.contains("Max-Age=0") == true)
            }
            let login = try await browser.get("/login")
            #expect(login.status == .ok)
        }
    }

    @Test func aGarbageCSRFCookieIsReplacedNotTrusted() async throws {
        try await TestApp.run { app, client in
            let browser = TestBrowser(client)
            await browser.setCookie("lith_csrf", "not-a-nonce")
            let page = try await browser.get("/login")
            #expect(page.status == .ok)
            #expect(await browser.cookie("lith_csrf") != "not-a-nonce")
        }
    }

    @Test func anUnknownFlashCookieIsIgnored() async throws {
        try await TestApp.run { app, client in
            let browser = TestBrowser(client)
            await browser.setCookie("lith_flash", "<script>")
            let page = try await browser.get("/login")
            #expect(page.status == .ok)
            #expect(!page.body.contains("<script>"))
        }
    }
}
