import HTTPTypes
import HummingbirdTesting
@_spi(Testing) import Lith
@_spi(Testing) import LithTestSupport
import LithTesting
import Testing

@testable import LithApp

/// The throttle as a person meets it: 429, `Retry-After`, the form again
/// with a sentence and their email.
@Suite("Throttling")
struct ThrottlingTests {
    @Test func theSixthWrongPasswordInARowIsAskedToWait() async throws {
        try await TestApp.run { app, client in
            // given Ada, and five wrong passwords for her
            try await app.user("ada@example.com")
            let browser = TestBrowser(client)
            for _ in 0..<5 { #expect(try await browser.logIn(email: "ada@example.com", password: "guess").status == .unprocessableContent) }
            // when the right one comes at once
            let response = try await browser.logIn(email: "ada@example.com", password: TestApp.password)
            // then: 429, Retry-After, the form with the email kept and when to retry; not signed in
            #expect(response.status == .tooManyRequests)
            #expect(response.headers[.retryAfter] == "30")
            #expect(response.body.contains("Too many attempts for this account. Try again in 30 seconds."))
            #expect(response.body.contains("value=\"ada@example.com\""))
            #expect(response.setCookie(named: app.authentication.cookies.sessionName) == nil)
            // and after the wait the right password works, and clears the count
            app.clock.advance(by: 30)
            #expect(try await browser.logIn(email: "ada@example.com", password: TestApp.password).location == "/dashboard")
        }
    }

    @Test func anUnknownEmailIsThrottledTheSameWay() async throws {
        try await TestApp.run { app, client in
            try await app.user("ada@example.com")
            let known = TestBrowser(client)
            let unknown = TestBrowser(client)
            for _ in 0..<5 {
                _ = try await known.logIn(email: "ada@example.com", password: "guess")
                _ = try await unknown.logIn(email: "nobody@example.com", password: "guess")
            }
            let real = try await known.logIn(email: "ada@example.com", password: "guess")
            let nobody = try await unknown.logIn(email: "nobody@example.com", password: "guess")
            // the answers differ only in the email echoed back (and each
            // browser's own CSRF token)
            #expect(real.status == nobody.status)
            #expect(real.headers[.retryAfter] == nobody.headers[.retryAfter])
            let withoutToken = /name="csrf_token" value="[^"]*"/
            #expect(
                real.body.replacingOccurrences(of: "ada@example.com", with: "nobody@example.com").replacing(withoutToken, with: "")
                    == nobody.body.replacing(withoutToken, with: "")
            )
        }
    }

    @Test func sixteenParallelLoginsOfOneAccountFromItsOwnAddressAllGetIn() async throws {
        try await TestApp.run(.live) { app, client in
            // given Ada's account, signed up from this address (127.0.0.1)
            _ = try await TestBrowser(client).signUp(email: "ada@example.com", password: TestApp.password)
            // when sixteen browsers log in as her at once (a shared account, a script, the benchmark)
            let locations = try await withThrowingTaskGroup(of: String?.self) { group in
                for _ in 0..<16 {
                    group.addTask { try await TestBrowser(client).logIn(email: "ada@example.com", password: TestApp.password).location }
                }
                return try await group.reduce(into: [String?]()) { $0.append($1) }
            }
            // then every one is signed in: right passwords are not a burst of guesses
            #expect(locations.allSatisfy { $0 == "/dashboard" })
        }
    }

    @Test func otherAccountsAreNotHeldBack() async throws {
        try await TestApp.run { app, client in
            try await app.user("ada@example.com")
            try await app.user("bob@example.com")
            let browser = TestBrowser(client)
            for _ in 0..<6 { _ = try await browser.logIn(email: "ada@example.com", password: "guess") }
            #expect(try await TestBrowser(client).logIn(email: "bob@example.com", password: TestApp.password).location == "/dashboard")
        }
    }

    @Test func signupsFromOneAddressAreLimited() async throws {
        try await TestApp.run(.live, configure: { $0.throttle.signupAddress.freeFailures = 3 }) { app, client in
            // given three signups from this machine's address
            for index in 0..<3 {
                #expect(try await TestBrowser(client).signUp(email: "user\(index)@example.com", password: TestApp.password).location == "/dashboard")
            }
            // when a fourth comes
            let response = try await TestBrowser(client).signUp(email: "user9@example.com", password: TestApp.password)
            // then it waits, told so, its email kept, and no account is made
            #expect(response.status == .tooManyRequests)
            #expect(response.headers[.retryAfter] == "3600")
            #expect(response.body.contains("Too many attempts from your network. Try again in 60 minutes."))
            #expect(response.body.contains("value=\"user9@example.com\""))
            #expect(try await app.store.user(email: EmailAddress("user9@example.com")) == nil)
        }
    }

    @Test func aLoginFormLeftOpenForHoursIsShownAgainFresh() async throws {
        try await TestApp.run { app, client in
            // given a login page opened, then left for more than the guest token's lifetime
            try await app.user("ada@example.com")
            let browser = TestBrowser(client)
            let token = try #require(try await browser.get("/login").csrfToken(forFormWithAction: "/login"))
            app.clock.advance(by: 3 * 3600 + 1)
            // when it is submitted
            let response = try await browser.post("/login", fields: ["csrf_token": token, "email": "ada@example.com", "password": TestApp.password])
            // then: refused, nothing signed in, but the form is back with a fresh token and a sentence
            #expect(response.status == .forbidden)
            #expect(response.body.contains("This page had expired, so nothing was sent. Please try again."))
            let fresh = try #require(response.csrfToken(forFormWithAction: "/login"))
            #expect(fresh != token)
            #expect(try await app.sessionCount() == 0)
            // and the fresh form works
            let retried = try await browser.post("/login", fields: ["csrf_token": fresh, "email": "ada@example.com", "password": TestApp.password])
            #expect(retried.location == "/dashboard")
        }
    }

    @Test func aGuestTokenWithinItsLifetimeStillWorks() async throws {
        try await TestApp.run { app, client in
            try await app.user("ada@example.com")
            let browser = TestBrowser(client)
            let token = try #require(try await browser.get("/login").csrfToken(forFormWithAction: "/login"))
            app.clock.advance(by: 3 * 3600 - 60)
            let response = try await browser.post("/login", fields: ["csrf_token": token, "email": "ada@example.com", "password": TestApp.password])
            #expect(response.location == "/dashboard")
        }
    }

    @Test func aGuestTokensTimeCantBeMovedWithoutBreakingItsMAC() async throws {
        try await TestApp.run { app, client in
            try await app.user("ada@example.com")
            let browser = TestBrowser(client)
            let token = try #require(try await browser.get("/login").csrfToken(forFormWithAction: "/login"))
            app.clock.advance(by: 3 * 3600 + 1)
            // an attacker rewrites the issued-at to now
            let mac = token.split(separator: ".")[1]
            let forged = "\(Int(app.clock.now.timeIntervalSince1970)).\(mac)"
            let response = try await browser.post("/login", fields: ["csrf_token": forged, "email": "ada@example.com", "password": TestApp.password])
            #expect(response.status == .forbidden)
            #expect(!response.body.contains("This page had expired"))
        }
    }
}
