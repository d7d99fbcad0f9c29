import HTTPTypes
import HummingbirdTesting
@_spi(Testing) import Lith
@_spi(Testing) import LithTestSupport
import LithTesting
import Testing

@testable import LithApp

/// The whole flow over a real TCP socket (Hummingbird's live test mode), as a
/// browser would drive it.
@Suite("Over a real socket")
struct LiveServerTests {
    @Test func signUpVisitTheDashboardLogOutAndLogInAgainOverTCP() async throws {
        try await TestApp.run(.live) { app, client in
            #expect(client.port != nil)
            let browser = TestBrowser(client)
            let signup = try await browser.signUp(email: "ada@example.com", password: TestApp.password)
            #expect(signup.location == "/dashboard")
            #expect(try await browser.get("/dashboard").body.contains("Hello, <span class=\"email\">ada@example.com!</span>"))
            let logout = try await browser.logOut()
            #expect(try await browser.follow(logout).body.contains("You have been logged out"))
            #expect(try await browser.get("/dashboard").location == "/login?next=/dashboard")
            let login = try await browser.logIn(email: "ada@example.com", password: TestApp.password, next: "/dashboard")
            #expect(login.location == "/dashboard")
            #expect(try await browser.get("/dashboard").status == .ok)
        }
    }

    @Test func aBodyShorterThanItsContentLengthIsA400NotA500() async throws {
        try await TestApp.run(.live) { app, client in
            let port = try #require(client.port)
            let browser = TestBrowser(client)
            let page = try await browser.get("/login")
            let token = try #require(page.csrfToken(forFormWithAction: "/login"))
            let nonce = try #require(await browser.cookie("lith_csrf"))
            let request =
                "POST /login HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nCookie: lith_csrf=\(nonce)\r\n"
                + "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 500\r\nConnection: close\r\n\r\ncsrf_token=\(token)&em"
            // (sent, then the sending side closed: the rest of the body can't come)
            let response = try await RawSocket.exchange(port: port, sending: request)
            #expect(response.statusCode == 400, "\(response)")
        }
    }

    @Test func theStylesheetIsServedAndCacheable() async throws {
        try await TestApp.run(.live) { app, client in
            let css = try await TestBrowser(client).get("/assets/style.css")
            #expect(css.status == .ok)
            #expect(css.headers[.contentType]?.hasPrefix("text/css") == true)
            #expect(css.headers[.cacheControl]?.contains("max-age") == true)
        }
    }
}
