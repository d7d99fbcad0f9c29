import HTTPTypes
import HummingbirdTesting
@_spi(Testing) import Lith
@_spi(Testing) import LithTestSupport
import LithTesting
import Testing

@testable import LithApp

/// The account page: change the password, see and end sessions, delete the account.
@Suite("Account page")
struct AccountPageTests {
    static let firefox: HTTPFields = [.userAgent: "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"]
    static let safari: HTTPFields = [
        .userAgent:
            "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1"
    ]

    /// Ada signed in on two browsers, through the login form.
    static func adaOnTwoBrowsers(_ app: TestApp, _ client: any TestClientProtocol) async throws -> (TestBrowser, TestBrowser) {
        try await app.user("ada@example.com")
        let laptop = TestBrowser(client, defaultHeaders: firefox)
        let phone = TestBrowser(client, defaultHeaders: safari)
        #expect(try await laptop.logIn(email: "ada@example.com", password: TestApp.password).location == "/dashboard")
        #expect(try await phone.logIn(email: "ada@example.com", password: TestApp.password).location == "/dashboard")
        return (laptop, phone)
    }

    @Test func guestsAreSentToLogInAndBackToTheAccountPage() async throws {
        try await TestApp.run { _, client in
            let response = try await TestBrowser(client).get("/account")
            #expect(response.location == "/login?next=/account")
        }
    }

    @Test func thePageListsEverySessionWithItsBrowserAndMarksThisOne() async throws {
        try await TestApp.run { app, client in
            // given Ada signed in on a laptop and a phone
            let (laptop, _) = try await Self.adaOnTwoBrowsers(app, client)
            // when she opens her account page on the laptop
            let page = try await laptop.get("/account")
            // then both sessions are listed, this one marked, the other with a Sign out button
            #expect(page.status == .ok)
            #expect(page.headers[.cacheControl] == "no-store")
            #expect(page.body.contains("Firefox on Linux</strong> <span class=\"badge\">This device</span>"))
            #expect(page.body.contains("Safari on iPhone</strong>\n"))
            #expect(page.body.components(separatedBy: "action=\"/account/sessions/revoke\"").count == 2)
            #expect(page.body.contains("Sign out everywhere else"))
            // and her recent activity: the signup-free account's two sign-ins
            #expect(page.body.components(separatedBy: "<strong>Signed in</strong>").count == 3)
        }
    }

    @Test func theListNamesSessionsByAnIdThatIsNeitherTokenNorDigest() async throws {
        try await TestApp.run { app, client in
            let (laptop, phone) = try await Self.adaOnTwoBrowsers(app, client)
            let page = try await laptop.get("/account")
            let phoneToken = try #require(await phone.cookie(app.authentication.cookies.sessionName))
            let digest = try #require(SessionToken(cookieValue: phoneToken)).digest.hex
            #expect(!page.body.contains(phoneToken))
            #expect(!page.body.contains(digest))
            #expect(page.inputValue("session_id", inFormWithAction: "/account/sessions/revoke")?.count == 32)
        }
    }

    @Test func changingThePasswordSignsOutEveryOtherBrowserAndRenewsThisOne() async throws {
        try await TestApp.run { app, client in
            // given Ada on two browsers
            let (laptop, phone) = try await Self.adaOnTwoBrowsers(app, client)
            let oldToken = await laptop.cookie(app.authentication.cookies.sessionName)
            // when she changes her password on the laptop
            let response = try await laptop.submit(
                ["current_password": TestApp.password, "password": "a brand new phrase", "password_confirmation": "a brand new phrase"],
                from: "/account",
                action: "/account/password"
            )
            // then the laptop gets a new session and is told; the phone is signed out on its next click
            #expect(response.status == .seeOther)
            #expect(response.location == "/account")
            let newToken = await laptop.cookie(app.authentication.cookies.sessionName)
            #expect(newToken != nil && newToken != oldToken)
            #expect(try await laptop.follow(response).body.contains("Your password has been changed."))
            #expect(try await phone.get("/dashboard").location == "/login?next=/dashboard")
            #expect(try await app.sessionCount() == 1)
            // and only the new password logs in
            #expect(try await TestBrowser(client).logIn(email: "ada@example.com", password: TestApp.password).status == .unprocessableContent)
            #expect(try await TestBrowser(client).logIn(email: "ada@example.com", password: "a brand new phrase").location == "/dashboard")
        }
    }

    @Test func aWrongCurrentPasswordShowsTheFormAgainWithTheErrorBesideIt() async throws {
        try await TestApp.run { app, client in
            let (laptop, phone) = try await Self.adaOnTwoBrowsers(app, client)
            let response = try await laptop.submit(
                ["current_password": "not it", "password": "a brand new phrase", "password_confirmation": "a brand new phrase"],
                from: "/account",
                action: "/account/password"
            )
            #expect(response.status == .unprocessableContent)
            #expect(response.body.contains("<title>Error: Your account · Lith</title>"))
            #expect(response.body.contains("id=\"current-password-error\">That is not your current password.</p>"))
            #expect(try await phone.get("/dashboard").status == .ok)
        }
    }

    @Test func aNewPasswordMustMeetThePolicy() async throws {
        try await TestApp.run { app, client in
            let (laptop, _) = try await Self.adaOnTwoBrowsers(app, client)
            let response = try await laptop.submit(
                ["current_password": TestApp.password, "password": "password", "password_confirmation": "password"],
                from: "/account",
                action: "/account/password"
            )
            #expect(response.status == .unprocessableContent)
            #expect(response.body.contains("This password is too common. Try a phrase of a few words."))
        }
    }

    @Test func aLostPhoneIsSignedOutFromTheLaptop() async throws {
        try await TestApp.run { app, client in
            // given Ada on two browsers
            let (laptop, phone) = try await Self.adaOnTwoBrowsers(app, client)
            // when she presses Sign out beside the phone's session (the only other one)
            let phonesID = try #require(try await laptop.get("/account").inputValue("session_id", inFormWithAction: "/account/sessions/revoke"))
            let response = try await laptop.submit(["session_id": phonesID], from: "/account", action: "/account/sessions/revoke")
            // then the phone is a guest, the laptop still signed in
            #expect(response.location == "/account")
            #expect(try await phone.get("/dashboard").location == "/login?next=/dashboard")
            #expect(try await laptop.get("/dashboard").status == .ok)
        }
    }

    @Test func anotherUsersSessionIdEndsNothing() async throws {
        try await TestApp.run { app, client in
            // given Ada on two browsers, and Mallory signed in
            let (laptop, phone) = try await Self.adaOnTwoBrowsers(app, client)
            let adasPhone = try #require(try await laptop.get("/account").inputValue("session_id", inFormWithAction: "/account/sessions/revoke"))
            try await app.user("mallory@example.com")
            let mallory = TestBrowser(client)
            _ = try await mallory.logIn(email: "mallory@example.com", password: TestApp.password)
            // when Mallory posts Ada's phone's session id from her own account page
            let token = try #require(try await mallory.get("/account").csrfToken(forFormWithAction: "/account/password"))
            let response = try await mallory.post("/account/sessions/revoke", fields: ["csrf_token": token, "session_id": adasPhone])
            // then nothing happened to Ada's phone
            #expect(response.location == "/account")
            #expect(try await phone.get("/dashboard").status == .ok)
            #expect(try await app.sessionCount() == 3)
        }
    }

    @Test func signingOutEverywhereElseKeepsOnlyThisBrowser() async throws {
        try await TestApp.run { app, client in
            let (laptop, phone) = try await Self.adaOnTwoBrowsers(app, client)
            let response = try await laptop.submit([:], from: "/account", action: "/account/sessions/revoke-others")
            #expect(response.location == "/account")
            #expect(try await laptop.follow(response).body.contains("You have been signed out everywhere else."))
            #expect(try await phone.get("/dashboard").location == "/login?next=/dashboard")
            #expect(try await app.sessionCount() == 1)
        }
    }

    @Test func deletingTheAccountNeedsThePasswordAndEndsEverything() async throws {
        try await TestApp.run { app, client in
            // given Ada on two browsers
            let (laptop, phone) = try await Self.adaOnTwoBrowsers(app, client)
            // when she tries a wrong password, then the right one
            let refused = try await laptop.submit(["current_password": "not it"], from: "/account", action: "/account/delete")
            #expect(refused.status == .unprocessableContent)
            #expect(refused.body.contains("id=\"delete-error\">That is not your current password.</p>"))
            let response = try await laptop.submit(["current_password": TestApp.password], from: "/account", action: "/account/delete")
            // then she is at the login page, told so, and can't log in again; the phone is out too
            #expect(response.location == "/login")
            #expect(try await laptop.follow(response).body.contains("Your account has been deleted."))
            #expect(try await phone.get("/dashboard").location == "/login?next=/dashboard")
            #expect(try await TestBrowser(client).logIn(email: "ada@example.com", password: TestApp.password).status == .unprocessableContent)
            #expect(try await app.sessionCount() == 0)
        }
    }

    @Test func everyAccountFormNeedsTheCSRFToken() async throws {
        try await TestApp.run { app, client in
            let (laptop, _) = try await Self.adaOnTwoBrowsers(app, client)
            for action in ["/account/password", "/account/sessions/revoke", "/account/sessions/revoke-others", "/account/delete"] {
                let response = try await laptop.post(action, fields: ["current_password": TestApp.password])
                #expect(response.status == .forbidden, "\(action)")
            }
            #expect(try await app.sessionCount() == 2)
        }
    }
}
