import Foundation
import HTTPTypes
import HummingbirdTesting
@_spi(Testing) import Lith
@_spi(Testing) import LithTestSupport
import LithTesting
import Testing

@testable import LithApp

/// Moving an account to a new address: a link to the new one, a notice to
/// the old one, and nothing changes until the link is opened.
@Suite("Email change")
struct EmailChangeTests {
    /// Ada, signed in.
    static func signedIn(_ app: TestApp, _ client: any TestClientProtocol) async throws -> TestBrowser {
        try await app.user("ada@example.com")
        let browser = TestBrowser(client)
        _ = try await browser.logIn(email: "ada@example.com", password: TestApp.password)
        return browser
    }

    static func ask(_ browser: TestBrowser, for email: String, password: String = TestApp.password) async throws -> TestPage {
        try await browser.submit(["email": email, "current_password": password], from: "/account", action: "/account/email")
    }

    /// Clicks "Use this address" on the link's page (or posts `token` with a fresh CSRF token).
    static func confirm(_ browser: TestBrowser, link: String) async throws -> TestPage {
        let page = try await browser.get(link)
        let token = try #require(page.inputValue("token", inFormWithAction: "/account/email/confirm"))
        return try await browser.submit(["token": token], from: link, action: "/account/email/confirm")
    }

    static func confirm(_ browser: TestBrowser, token: String) async throws -> TestPage {
        let csrf = try #require(try await browser.get("/account").csrfToken(forFormWithAction: "/account/email"))
        return try await browser.post("/account/email/confirm", fields: ["csrf_token": csrf, "token": token])
    }

    static func link(_ mail: [OutgoingMail], to email: String) -> String? {
        guard let link = mail.last(where: { $0.to.value == email })?.links.first(where: { $0.contains("/account/email/confirm/") }) else {
            return nil
        }
        return String(link[link.range(of: "/account/email/confirm/")!.lowerBound...])
    }

    @Test func theNewAddressGetsTheLinkTheOldOneIsToldAndNothingMovesUntilItIsOpened() async throws {
        try await TestApp.run { app, client in
            let browser = try await Self.signedIn(app, client)
            // when Ada asks to move to a new address
            let asked = try await Self.ask(browser, for: "ada.new@example.com")
            #expect(asked.location == "/account")
            // then the new address gets a link, the old one a notice without one
            let mail = await app.deliverMail()
            let link = try #require(Self.link(mail, to: "ada.new@example.com"))
            let notice = try #require(mail.last { $0.to.value == "ada@example.com" })
            #expect(notice.decodedText.contains("ada.new@example.com"))
            #expect(notice.links.isEmpty)
            // and the account hasn't moved yet
            #expect(try await app.store.user(email: EmailAddress("ada@example.com")) != nil)
            // when the link is opened, nothing moves yet: its page asks for a click
            let page = try await browser.get(link)
            #expect(page.status == .ok && page.body.contains("ada.new@example.com"))
            #expect(page.headers[HTTPField.Name("Referrer-Policy")!] == "same-origin")
            #expect(try await app.store.user(email: EmailAddress("ada@example.com")) != nil)
            let opened = try await Self.confirm(browser, link: link)
            #expect(opened.location == "/account")
            // then the account has the new address, confirmed, and logs in with it
            let moved = try #require(try await app.store.user(email: EmailAddress("ada.new@example.com")))
            #expect(moved.isEmailVerified)
            #expect(try await app.store.user(email: EmailAddress("ada@example.com")) == nil)
            let loggedIn = try await TestBrowser(client).logIn(email: "ada.new@example.com", password: TestApp.password)
            #expect(loggedIn.location == "/dashboard")
            // and the link doesn't work twice
            let again = try await browser.follow(try await browser.get(link))
            #expect(again.body.contains("This link has expired or has already been used."))
            let replayed = try await browser.follow(try await Self.confirm(browser, token: String(link.split(separator: "/").last!)))
            #expect(replayed.body.contains("This link has expired or has already been used."))
            #expect(again.body.contains("This link has expired or has already been used."))
            let kinds = try await app.store.events(userID: moved.id, limit: 20).map(\.kind)
            #expect(kinds.contains(.emailChangeRequested) && kinds.contains(.emailChanged))
        }
    }

    @Test func aWrongCurrentPasswordSendsNothing() async throws {
        try await TestApp.run { app, client in
            let browser = try await Self.signedIn(app, client)
            let refused = try await Self.ask(browser, for: "ada.new@example.com", password: "not my password")
            #expect(refused.status == .unprocessableContent)
            #expect(refused.body.contains("That is not your current password."))
            #expect(await app.deliverMail().isEmpty)
        }
    }

    @Test func aTakenAddressGetsTheSameAnswerAndNoLink() async throws {
        try await TestApp.run { app, client in
            try await app.user("bob@example.com")
            let browser = try await Self.signedIn(app, client)
            let taken = try await Self.ask(browser, for: "bob@example.com")
            let free = try await Self.ask(browser, for: "ada.new@example.com")
            #expect(taken.status == free.status && taken.location == free.location)
            let mail = await app.deliverMail()
            #expect(!mail.contains { $0.to.value == "bob@example.com" })
            #expect(Self.link(mail, to: "ada.new@example.com") != nil)
        }
    }

    @Test func aPasswordChangeCancelsAPendingChange() async throws {
        try await TestApp.run { app, client in
            let browser = try await Self.signedIn(app, client)
            _ = try await Self.ask(browser, for: "ada.new@example.com")
            let link = try #require(Self.link(await app.deliverMail(), to: "ada.new@example.com"))
            // when the password changes before the link is opened
            _ = try await browser.submit(
                ["current_password": TestApp.password, "password": "a brand new phrase", "password_confirmation": "a brand new phrase"],
                from: "/account",
                action: "/account/password"
            )
            // then the link is dead and the address stays
            let opened = try await browser.follow(try await browser.get(link))
            #expect(opened.body.contains("This link has expired or has already been used."))
            let posted = try await browser.follow(try await Self.confirm(browser, token: String(link.split(separator: "/").last!)))
            #expect(posted.body.contains("This link has expired or has already been used."))
            #expect(try await app.store.user(email: EmailAddress("ada@example.com")) != nil)
        }
    }
}
