import Foundation
import HTTPTypes
import HummingbirdTesting
@_spi(Testing) import Lith
@_spi(Testing) import LithTestSupport
import LithTesting
import Testing

@testable import LithApp

/// Proving an account's address: the link mailed at signup, the banner,
/// "resend", and `required` mode's closed door and quiet signup.
@Suite("Email verification")
struct EmailVerificationTests {
    /// The verification link in the newest mail to `email`, as a path.
    static func link(_ app: TestApp, to email: String) async throws -> String {
        let mail = await app.deliverMail().last { $0.to.value == email }
        let link = try #require(mail?.links.first { $0.contains("/email/verify/") })
        return String(link[link.range(of: "/email/verify/")!.lowerBound...])
    }

    /// "Send a new confirmation link" as a guest, with the login page's CSRF token.
    static func resend(_ browser: TestBrowser, email: String) async throws -> TestPage {
        let token = try #require(try await browser.get("/login").csrfToken(forFormWithAction: "/login"))
        return try await browser.post("/email/verify/resend", fields: ["csrf_token": token, "email": email])
    }

    static func required(_ configuration: inout AppConfiguration) { configuration.mail.emailVerification = .required }

    @Test func aSignupIsSignedInAndMailedALinkAndTheDashboardAsksForIt() async throws {
        try await TestApp.run { app, client in
            // given a new account in the default (optional) mode
            let browser = TestBrowser(client)
            let signedUp = try await browser.signUp(email: "ada@example.com", password: TestApp.password)
            #expect(signedUp.location == "/dashboard")
            // then a link is on its way, and the dashboard asks for it
            _ = try await Self.link(app, to: "ada@example.com")
            let dashboard = try await browser.get("/dashboard")
            #expect(dashboard.body.contains("Please confirm your email address"))
        }
    }

    @Test func theLinkConfirmsTheAddressOnceAndTheBannerGoes() async throws {
        try await TestApp.run { app, client in
            let browser = TestBrowser(client)
            _ = try await browser.signUp(email: "ada@example.com", password: TestApp.password)
            let link = try await Self.link(app, to: "ada@example.com")
            // when Ada opens it
            let opened = try await browser.get(link)
            // then she is back on her dashboard, told, with no banner, and the address is confirmed
            #expect(opened.status == .seeOther)
            #expect(opened.location == "/dashboard")
            #expect(opened.headers[HTTPField.Name("Referrer-Policy")!] == "no-referrer")
            let dashboard = try await browser.follow(opened)
            #expect(dashboard.body.contains("Your email address is confirmed."))
            #expect(!dashboard.body.contains("Please confirm your email address"))
            #expect(try await app.store.user(email: EmailAddress("ada@example.com"))?.isEmailVerified == true)
            // and the link doesn't work twice
            let again = try await browser.follow(try await browser.get(link))
            #expect(again.body.contains("This confirmation link has expired or has already been used."))
            let events = try await app.store.events(
                userID: try #require(try await app.store.user(email: EmailAddress("ada@example.com"))).id,
                limit: 10
            )
            #expect(events.filter { $0.kind == .emailVerified }.count == 1)
        }
    }

    @Test func aLinkOlderThanADayIsRefused() async throws {
        try await TestApp.run { app, client in
            let browser = TestBrowser(client)
            _ = try await browser.signUp(email: "ada@example.com", password: TestApp.password)
            let link = try await Self.link(app, to: "ada@example.com")
            app.clock.advance(by: 24 * 60 * 60 + 1)
            let opened = try await browser.follow(try await browser.get(link))
            #expect(opened.body.contains("This confirmation link has expired or has already been used."))
            #expect(try await app.store.user(email: EmailAddress("ada@example.com"))?.isEmailVerified == false)
        }
    }

    @Test func notNowPutsTheBannerAwayInThisBrowser() async throws {
        try await TestApp.run { app, client in
            let browser = TestBrowser(client)
            _ = try await browser.signUp(email: "ada@example.com", password: TestApp.password)
            let later = try await browser.submit([:], from: "/dashboard", action: "/email/verify/later")
            #expect(later.location == "/dashboard")
            #expect(!(try await browser.get("/dashboard")).body.contains("Please confirm your email address"))
        }
    }

    @Test func withVerificationOffNoLinkIsSentAndNothingAsks() async throws {
        try await TestApp.run(configure: { $0.mail.emailVerification = .off }) { app, client in
            let browser = TestBrowser(client)
            _ = try await browser.signUp(email: "ada@example.com", password: TestApp.password)
            #expect(await app.deliverMail().isEmpty)
            #expect(!(try await browser.get("/dashboard")).body.contains("Please confirm your email address"))
        }
    }

    // MARK: required

    @Test func whenRequiredSignupSignsNoOneInAndLoginWaitsForTheLink() async throws {
        try await TestApp.run(configure: Self.required) { app, client in
            // given a signup
            let browser = TestBrowser(client)
            let signedUp = try await browser.signUp(email: "ada@example.com", password: TestApp.password)
            // then it says "check your inbox" and starts no session
            #expect(signedUp.status == .ok)
            #expect(signedUp.body.contains("Check your inbox"))
            #expect(signedUp.setCookie(named: "lith_session") == nil)
            // and the right password is not enough yet: the page offers a new link
            let refused = try await browser.logIn(email: "ada@example.com", password: TestApp.password)
            #expect(refused.status == .forbidden)
            #expect(refused.body.contains("Please confirm your email address first"))
            #expect(refused.form(action: "/email/verify/resend") != nil)
            // when the link is opened
            let opened = try await browser.get(try await Self.link(app, to: "ada@example.com"))
            #expect(opened.location == "/login")
            // then she can log in
            let loggedIn = try await browser.logIn(email: "ada@example.com", password: TestApp.password)
            #expect(loggedIn.location == "/dashboard")
        }
    }

    @Test func whenRequiredASignupForATakenAddressLooksTheSameAndTellsItsOwner() async throws {
        try await TestApp.run(configure: Self.required) { app, client in
            // given an account for Ada
            try await app.user("ada@example.com")
            // when a stranger signs up with her address, and another with a new one
            let taken = try await TestBrowser(client).signUp(email: "ada@example.com", password: "another long phrase")
            let fresh = try await TestBrowser(client).signUp(email: "bob@example.com", password: "another long phrase")
            // then both see the same page
            let withoutToken = /name="csrf_token" value="[^"]*"/
            #expect(taken.status == fresh.status)
            #expect(
                taken.body.replacing(withoutToken, with: "").replacingOccurrences(of: "ada@example.com", with: "bob@example.com")
                    == fresh.body.replacing(withoutToken, with: "")
            )
            // and Ada is told someone tried (no link), while Bob gets his link
            let mail = await app.deliverMail()
            let toAda = try #require(mail.last { $0.to.value == "ada@example.com" })
            #expect(toAda.decodedText.contains("Someone tried to create"))
            #expect(!toAda.links.contains { $0.contains("/email/verify/") })
            _ = try await Self.link(app, to: "bob@example.com")
            #expect(try await app.store.users().count == 2)
        }
    }

    @Test func aGuestsResendAnswersTheSameAndMailsOnlyAnUnconfirmedAccount() async throws {
        try await TestApp.run(configure: Self.required) { app, client in
            _ = try await TestBrowser(client).signUp(email: "ada@example.com", password: TestApp.password)
            let before = await app.deliverMail().count
            let known = try await Self.resend(TestBrowser(client), email: "ada@example.com")
            let unknown = try await Self.resend(TestBrowser(client), email: "nobody@example.com")
            #expect(known.status == .seeOther && unknown.status == .seeOther)
            #expect(known.location == unknown.location)
            let after = await app.deliverMail()
            #expect(after.dropFirst(before).map(\.to.value) == ["ada@example.com"])
        }
    }
}
