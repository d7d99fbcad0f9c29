import HTTPTypes
import HummingbirdTesting
@_spi(Testing) import Lith
@_spi(Testing) import LithTestSupport
import LithTesting
import Testing

@testable import LithApp

/// Ported from the seed's Flask lesson (user creation stores no plain-text
/// password; empty email or password is rejected) and the signup contract.
@Suite("Signup")
struct SignupTests {
    @Test func signingUpCreatesTheAccountSignsInAndGoesToTheDashboard() async throws {
        try await TestApp.run { app, client in
            // given no accounts
            #expect(try await app.store.users().isEmpty)
            let browser = TestBrowser(client)
            // when someone signs up
            let response = try await browser.signUp(email: "Ada@Example.com", password: TestApp.password)
            // then one account exists, normalised, and they are signed in on the dashboard
            #expect(response.status == .seeOther)
            #expect(response.location == "/dashboard")
            #expect(try await app.store.users().map(\.email.value) == ["ada@example.com"])
            let dashboard = try await browser.follow(response)
            #expect(dashboard.body.contains("Hello, <span class=\"email\">ada@example.com!</span>"))
        }
    }

    @Test func userCreationStoresNoPlainTextPassword() async throws {
        try await TestApp.run { app, client in
            try await TestBrowser(client).signUp(email: "ada@example.com", password: TestApp.password)
            let stored = try #require(try await app.store.credentials(email: try EmailAddress("ada@example.com"))).passwordHash
            #expect(!stored.contains(TestApp.password))
            #expect(stored.hasPrefix("$scrypt$ln="))
        }
    }

    @Test func theSignupFormHasTheFieldsBrowsersAndPasswordManagersExpect() async throws {
        try await TestApp.run { app, client in
            let page = try await TestBrowser(client).get("/signup")
            #expect(page.status == .ok)
            #expect(page.body.contains("name=\"email\" type=\"email\" autocomplete=\"email\""))
            #expect(page.body.contains("name=\"password\" type=\"password\" autocomplete=\"new-password\""))
            #expect(page.body.contains("name=\"password_confirmation\" type=\"password\" autocomplete=\"new-password\""))
            #expect(page.body.contains("<label for=\"email\">"))
        }
    }

    @Test(arguments: [
        ("", TestApp.password, TestApp.password, "Enter your email address"),
        ("ada@example.com", "", "", "Enter a password"),
        ("not-an-email", TestApp.password, TestApp.password, "Enter an email address like name@example.com"),
        ("ada@", TestApp.password, TestApp.password, "Enter an email address like name@example.com"),
        ("ada@example.com", TestApp.password, "something else", "The passwords don&#39;t match"),
        ("ada@example.com", "short", "short", "Use at least 8 characters"),
        (String(repeating: "a", count: 250) + "@example.com", TestApp.password, TestApp.password, "at most 254 characters"),
        ("ada\u{0}@example.com", TestApp.password, TestApp.password, "can&#39;t contain spaces or control characters"),
        ("ada@example.com", String(repeating: "p", count: 1025), String(repeating: "p", count: 1025), "at most 1024 bytes"),
        ("ada@example.com", "pass\u{0}word-long", "pass\u{0}word-long", "can&#39;t contain NUL"),
    ])
    func invalidSignupsShowTheFormAgainWithTheErrorAndCreateNothing(
        email: String,
        password: String,
        confirmation: String,
        message: String
    ) async throws {
        try await TestApp.run { app, client in
            // when a signup is invalid
            let page = try await TestBrowser(client).signUp(email: email, password: password, confirmation: confirmation)
            // then the form comes back with the error, nothing is stored, nobody is signed in
            #expect(page.status == .unprocessableContent)
            #expect(page.body.contains(message))
            #expect(page.form(action: "/signup") != nil)
            #expect(page.setCookie(named: "lith_session") == nil)
            #expect(try await app.store.users().isEmpty)
        }
    }

    @Test func aFailedSignupKeepsTheEmailButNeverThePassword() async throws {
        try await TestApp.run { app, client in
            let page = try await TestBrowser(client).signUp(email: "ada@example.com", password: TestApp.password, confirmation: "typo")
            #expect(page.inputValue("email", inFormWithAction: "/signup") == "ada@example.com")
            #expect(!page.body.contains(TestApp.password))
        }
    }

    @Test func anEmailThatIsTakenInAnyCaseIsRefused() async throws {
        try await TestApp.run { app, client in
            try await app.user("ada@example.com")
            let page = try await TestBrowser(client).signUp(email: " ADA@example.COM", password: TestApp.password)
            #expect(page.status == .unprocessableContent)
            #expect(page.body.contains("An account with this email already exists"))
            #expect(try await app.store.users().count == 1)
        }
    }

    @Test func signedInUsersAreSentToTheDashboardFromSignup() async throws {
        try await TestApp.run { app, client in
            let browser = TestBrowser(client)
            try await browser.signUp(email: "ada@example.com", password: TestApp.password)
            #expect(try await browser.get("/signup").location == "/dashboard")
            // and a POST with a valid token is redirected too, creating nothing
            let token = try #require(try await browser.get("/dashboard").csrfToken(forFormWithAction: "/logout"))
            let post = try await browser.post(
                "/signup",
                fields: ["csrf_token": token, "email": "bob@example.com", "password": TestApp.password, "password_confirmation": TestApp.password]
            )
            #expect(post.location == "/dashboard")
            #expect(try await app.store.users().count == 1)
        }
    }

    @Test func manyConcurrentSignupsOfOneEmailCreateExactlyOneAccount() async throws {
        try await TestApp.run { app, client in
            // when ten browsers sign up the same email at once
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<10 {
                    group.addTask { try await TestBrowser(client).signUp(email: "ada@example.com", password: TestApp.password).status.code }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            // then exactly one succeeds and the rest are told the email is taken
            #expect(statuses.filter { $0 == 303 }.count == 1)
            #expect(statuses.filter { $0 == 422 }.count == 9)
            #expect(try await app.store.users().count == 1)
        }
    }

    @Test func twentyUsersSigningUpAtOnceAllGetAccounts() async throws {
        try await TestApp.run { app, client in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<20 {
                    group.addTask {
                        let browser = TestBrowser(client)
                        let response = try await browser.signUp(email: "user\(index)@example.com", password: TestApp.password)
                        #expect(response.location == "/dashboard")
                        #expect(try await browser.get("/dashboard").body.contains("Hello, <span class=\"email\">user\(index)@example.com!</span>"))
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await app.store.users().count == 20)
        }
    }
}
