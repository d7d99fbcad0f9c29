import Foundation
import HTTPTypes
import HummingbirdTesting
@_spi(Testing) import Lith
@_spi(Testing) import LithTestSupport
import LithTesting
import Testing

@testable import LithApp

/// "Forgot your password?": the request, the mailed link, the new password.
@Suite("Password reset")
struct PasswordResetTests {
    /// Asks for a link for `email` in a fresh browser and returns the page.
    static func askForLink(_ client: any TestClientProtocol, email: String) async throws -> TestPage {
        try await TestBrowser(client).submit(["email": email], from: "/password/forgot", action: "/password/forgot")
    }

    /// The reset link in the newest mail to `email`.
    static func link(_ app: TestApp, to email: String) async throws -> String {
        let mail = await app.deliverMail().last { $0.to.value == email }
        return try #require(mail?.links.first { $0.contains("/password/reset/") })
    }

    /// The path of `link` (the test client speaks to the app directly).
    static func path(_ link: String) -> String {
        String(link[link.range(of: "/password/reset/")!.lowerBound...])
    }

    /// Opens `link` in `browser` and sets `password` with it; the page
    /// that refuses the link if it does.
    static func reset(_ browser: TestBrowser, link: String, password: String) async throws -> TestPage {
        let opened = try await browser.get(Self.path(link))
        #expect(opened.location == "/password/reset")
        let form = try await browser.get("/password/reset")
        guard form.status == .ok else { return form }
        return try await browser.submit(
            ["password": password, "password_confirmation": password],
            from: "/password/reset",
            action: "/password/reset"
        )
    }

    @Test func theAnswerIsTheSameWhetherOrNotTheAccountExists() async throws {
        try await TestApp.run { app, client in
            try await app.user("ada@example.com")
            let known = try await Self.askForLink(client, email: "ada@example.com")
            let unknown = try await Self.askForLink(client, email: "nobody@example.com")
            #expect(known.status == .ok && unknown.status == .ok)
            #expect(known.body.contains("If an account exists for that address, we&#39;ve sent a link."))
            let withoutToken = /name="csrf_token" value="[^"]*"/
            #expect(
                known.body.replacing(withoutToken, with: "").replacingOccurrences(of: "ada@example.com", with: "nobody@example.com")
                    == unknown.body.replacing(withoutToken, with: "")
            )
            // and only the real account got mail
            #expect(await app.deliverMail().map(\.to.value) == ["ada@example.com"])
        }
    }

    @Test func theLinkMovesItsTokenOutOfTheURLAndSetsANewPassword() async throws {
        try await TestApp.run { app, client in
            try await app.user("ada@example.com")
            _ = try await Self.askForLink(client, email: "ada@example.com")
            let link = try await Self.link(app, to: "ada@example.com")
            #expect(link.hasPrefix("http://localhost:0/password/reset/"))
            // when Ada opens it
            let browser = TestBrowser(client)
            let opened = try await browser.get(Self.path(link))
            // then the token is in a cookie, the browser on a URL without it, and nothing leaks in a Referer
            #expect(opened.status == .seeOther)
            #expect(opened.location == "/password/reset")
            #expect(opened.headers[HTTPField.Name("Referrer-Policy")!] == "no-referrer")
            #expect(opened.setCookie(named: "lith_reset")?.contains("HttpOnly") == true)
            let form = try await browser.get("/password/reset")
            #expect(form.status == .ok)
            // and a new password takes her to the login page, where it works
            let done = try await browser.submit(
                ["password": "a brand new phrase", "password_confirmation": "a brand new phrase"],
                from: "/password/reset",
                action: "/password/reset"
            )
            #expect(done.location == "/login")
            #expect(try await browser.logIn(email: "ada@example.com", password: "a brand new phrase").location == "/dashboard")
        }
    }

    @Test func onAnyFreePortTheLinkNamesThePortTheServerGot() async throws {
        // given a server started on port 0, as tests and `--port 0` do
        try await TestApp.run(.live) { app, client in
            try await app.user("ada@example.com")
            _ = try await Self.askForLink(client, email: "ada@example.com")
            let link = try await Self.link(app, to: "ada@example.com")
            // then the link names the port it listens on, not 0
            let port = try #require(link.firstMatch(of: /^http:\/\/localhost:(\d+)\/password\/reset\//)?.1)
            #expect(Int(port) ?? 0 > 0)
        }
    }

    @Test func resettingEndsEverySessionOfTheUser() async throws {
        try await TestApp.run { app, client in
            try await app.user("ada@example.com")
            let laptop = TestBrowser(client)
            _ = try await laptop.logIn(email: "ada@example.com", password: TestApp.password)
            _ = try await Self.askForLink(client, email: "ada@example.com")
            _ = try await Self.reset(TestBrowser(client), link: try await Self.link(app, to: "ada@example.com"), password: "a brand new phrase")
            #expect(try await laptop.get("/dashboard").location == "/login?next=/dashboard")
            #expect(try await app.sessionCount() == 0)
            // and she is told by mail
            #expect(await app.deliverMail().last?.decodedText.contains("was changed") == true)
        }
    }

    @Test func aLinkWorksOnce() async throws {
        try await TestApp.run { app, client in
            try await app.user("ada@example.com")
            _ = try await Self.askForLink(client, email: "ada@example.com")
            let link = try await Self.link(app, to: "ada@example.com")
            _ = try await Self.reset(TestBrowser(client), link: link, password: "a brand new phrase")
            let again = try await Self.reset(TestBrowser(client), link: link, password: "another new phrase")
            #expect(again.status == .gone)
            #expect(again.body.contains("expired or has already been used"))
            #expect(try await TestBrowser(client).logIn(email: "ada@example.com", password: "a brand new phrase").location == "/dashboard")
        }
    }

    @Test func aLinkExpiresAfterAnHour() async throws {
        try await TestApp.run { app, client in
            try await app.user("ada@example.com")
            _ = try await Self.askForLink(client, email: "ada@example.com")
            let link = try await Self.link(app, to: "ada@example.com")
            app.clock.advance(by: 3601)
            let late = try await Self.reset(TestBrowser(client), link: link, password: "a brand new phrase")
            #expect(late.status == .gone)
            #expect(try await TestBrowser(client).logIn(email: "ada@example.com", password: TestApp.password).location == "/dashboard")
            // and the owner's security log says an expired link was opened
            let ada = try #require(try await app.store.user(email: EmailAddress("ada@example.com")))
            #expect(try await app.store.events(userID: ada.id, limit: 20).map(\.kind).contains(.passwordResetExpired))
        }
    }

    @Test func aNewerLinkOrAPasswordChangeKillsTheOldLink() async throws {
        try await TestApp.run { app, client in
            try await app.user("ada@example.com")
            _ = try await Self.askForLink(client, email: "ada@example.com")
            let first = try await Self.link(app, to: "ada@example.com")
            app.clock.advance(by: 60)
            _ = try await Self.askForLink(client, email: "ada@example.com")
            let second = try await Self.link(app, to: "ada@example.com")
            #expect(first != second)
            #expect(try await Self.reset(TestBrowser(client), link: first, password: "a brand new phrase").status == .gone)
            // when she changes her password on the account page, the second dies too
            app.clock.advance(by: 60)
            let browser = TestBrowser(client)
            _ = try await browser.logIn(email: "ada@example.com", password: TestApp.password)
            _ = try await browser.submit(
                ["current_password": TestApp.password, "password": "changed on the page", "password_confirmation": "changed on the page"],
                from: "/account",
                action: "/account/password"
            )
            #expect(try await Self.reset(TestBrowser(client), link: second, password: "a brand new phrase").status == .gone)
        }
    }

    @Test func aTamperedOrForeignTokenChangesNothing() async throws {
        try await TestApp.run { app, client in
            try await app.user("ada@example.com")
            _ = try await Self.askForLink(client, email: "ada@example.com")
            let link = try await Self.link(app, to: "ada@example.com")
            var tampered = Array(link)
            tampered[tampered.count - 1] = tampered.last == "A" ? "B" : "A"
            for attempt in [
                String(tampered), link.replacingOccurrences(of: "/password/reset/", with: "/password/reset/x"), "http://x/password/reset/short",
            ] {
                let page = try await Self.reset(TestBrowser(client), link: attempt, password: "a brand new phrase")
                #expect(page.status == .gone)
            }
            #expect(try await TestBrowser(client).logIn(email: "ada@example.com", password: TestApp.password).location == "/dashboard")
        }
    }

    @Test func aWeakNewPasswordIsRefusedAndTheLinkStillWorks() async throws {
        try await TestApp.run { app, client in
            try await app.user("ada@example.com")
            _ = try await Self.askForLink(client, email: "ada@example.com")
            let link = try await Self.link(app, to: "ada@example.com")
            let browser = TestBrowser(client)
            let refused = try await Self.reset(browser, link: link, password: "password")
            #expect(refused.status == .unprocessableContent)
            #expect(refused.body.contains("too common"))
            let accepted = try await browser.submit(
                ["password": "a brand new phrase", "password_confirmation": "a brand new phrase"],
                from: "/password/reset",
                action: "/password/reset"
            )
            #expect(accepted.location == "/login")
        }
    }

    @Test func askingTooOftenForOneAddressIsThrottled() async throws {
        try await TestApp.run { app, client in
            try await app.user("ada@example.com")
            for _ in 0..<5 { #expect(try await Self.askForLink(client, email: "ada@example.com").status == .ok) }
            let sixth = try await Self.askForLink(client, email: "ada@example.com")
            #expect(sixth.status == .tooManyRequests)
            #expect(sixth.headers[.retryAfter] != nil)
            // and an unknown address the same way
            for _ in 0..<5 { _ = try await Self.askForLink(client, email: "nobody@example.com") }
            #expect(try await Self.askForLink(client, email: "nobody@example.com").status == .tooManyRequests)
        }
    }

    @Test func theRequestAndTheResetAreInTheSecurityLog() async throws {
        try await TestApp.run { app, client in
            try await app.user("ada@example.com")
            _ = try await Self.askForLink(client, email: "ada@example.com")
            _ = try await Self.reset(TestBrowser(client), link: try await Self.link(app, to: "ada@example.com"), password: "a brand new phrase")
            let kinds = try await app.store.events(email: try EmailAddress("ada@example.com"), since: nil, limit: 10).map(\.kind)
            #expect(kinds.suffix(2) == [.passwordResetRequested, .passwordReset])
        }
    }
}
