import HTTPTypes
import HummingbirdTesting
@_spi(Testing) import Lith
@_spi(Testing) import LithTestSupport
import LithTesting
import Testing

@testable import LithApp

/// The security log, as the app's actions write it: one event per action,
/// with who, from where and which session — and nothing secret.
@Suite("Security log")
struct SecurityLogTests {
    static let firefox: HTTPFields = [.userAgent: "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"]

    @Test func eachActionIsLoggedWithTheClientAndTheSession() async throws {
        try await TestApp.run(.live) { app, client in
            let browser = TestBrowser(client, defaultHeaders: Self.firefox)
            // when Ada signs up, logs out, fails once, logs in, changes her password and deletes her account
            _ = try await browser.signUp(email: "ada@example.com", password: TestApp.password)
            _ = try await browser.logOut()
            _ = try await browser.logIn(email: "ada@example.com", password: "guess")
            _ = try await browser.logIn(email: "ada@example.com", password: TestApp.password)
            _ = try await browser.submit(
                ["current_password": TestApp.password, "password": "a brand new phrase", "password_confirmation": "a brand new phrase"],
                from: "/account",
                action: "/account/password"
            )
            _ = try await browser.submit(["current_password": "a brand new phrase"], from: "/account", action: "/account/delete")
            // then the log tells it in order, every event with her id, address and browser
            let events = try await app.store.events(email: try EmailAddress("ada@example.com"), since: nil, limit: 100)
            #expect(
                events.map(\.kind) == [.signup, .loginSucceeded, .logout, .loginFailed, .loginSucceeded, .passwordChanged, .accountDeleted]
            )
            #expect(Set(events.map(\.userID)).count == 1)
            #expect(events.allSatisfy { $0.address == "127.0.0.1" && $0.browser == "Firefox on Linux" })
            // and a sign-in and its logout name the same session
            #expect(events[1].sessionID != nil && events[1].sessionID == events[2].sessionID)
        }
    }

    @Test func theAccountPageShowsTheUsersRecentActivityNewestFirst() async throws {
        try await TestApp.run { app, client in
            try await app.user("ada@example.com")
            let browser = TestBrowser(client)
            _ = try await browser.logIn(email: "ada@example.com", password: "guess")
            _ = try await browser.logIn(email: "ada@example.com", password: TestApp.password)
            let page = try await browser.get("/account").body
            let signedIn = try #require(page.range(of: "<strong>Signed in</strong>"))
            let failed = try #require(page.range(of: "<strong>Failed sign-in</strong>"))
            #expect(signedIn.lowerBound < failed.lowerBound)
        }
    }

    @Test func nothingSecretIsEverWrittenToTheLog() async throws {
        try await TestApp.run(.live) { app, client in
            // given every kind of action, with the secrets they involve noted
            let browser = TestBrowser(client)
            _ = try await browser.signUp(email: "ada@example.com", password: TestApp.password)
            let token = try #require(await browser.cookie(app.authentication.cookies.sessionName))
            _ = try await TestBrowser(client).logIn(email: "ada@example.com", password: "guess-\(TestApp.password)")
            _ = try await browser.submit(
                ["current_password": TestApp.password, "password": "a brand new phrase", "password_confirmation": "a brand new phrase"],
                from: "/account",
                action: "/account/password"
            )
            let hash = try #require(try await app.store.credentials(email: EmailAddress("ada@example.com"))).passwordHash
            _ = try await browser.logOut()
            // then no text of any logged event holds a password, a token, a digest or a hash
            let secrets = [
                TestApp.password, "a brand new phrase", token, try #require(SessionToken(cookieValue: token)).digest.hex, hash, "$scrypt$",
            ]
            let events = try await app.store.events(email: nil, since: nil, limit: 1000)
            #expect(events.count >= 5)
            let texts = events.flatMap { [$0.email?.value, $0.address, $0.browser, $0.sessionID?.value].compactMap { $0 } }
            for secret in secrets {
                #expect(!texts.contains { $0.contains(secret) }, "a logged text contains a secret")
            }
        }
    }
}
