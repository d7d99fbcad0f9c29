import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
@_spi(Testing) import LithTestSupport
import LithTesting
import Testing

@_spi(Testing) @testable import Lith

/// The session lifecycle's verbs, each doing what its comment promises.
@Suite("Authentication")
struct AuthenticationTests {
    @Test func logInDeletesTheSessionTheBrowserAlreadyHad() async throws {
        try await LibraryApp.run({ routes, auth, user in
            // a public route that logs in, as an app may have (a magic link, say)
            routes.public.get("/in") { request, context in try await auth.logIn(user, request: request, context: context) }
            routes.get("/me") { _, context in try context.auth.requireUser().email.value }
        }) { client, auth, user in
            // given a browser with a live session
            let browser = TestBrowser(client)
            try await browser.logIn(as: user, using: auth)
            let first = try #require(await browser.cookie("lith_session"))
            let firstDigest = try #require(SessionToken(cookieValue: first)).digest
            #expect(try await auth.store.session(digest: firstDigest) != nil)
            // when it logs in again
            let response = try await browser.get("/in")
            // then it holds a new token, the old session's row is gone, and the new one works
            let second = try #require(response.setCookie(named: "lith_session"))
            #expect(!second.contains(first))
            #expect(try await auth.store.session(digest: firstDigest) == nil)
            #expect(try await browser.get("/me").body == "ada@example.com")
        }
    }

    @Test func logOutDeletesTheRowAndTheCookieThenReplayingItIsAGuest() async throws {
        try await LibraryApp.run({ routes, auth, _ in
            routes.public.post("/out") { request, context in try await auth.logOut(request: request, context: context) }
            routes.get("/me") { _, context in try context.auth.requireUser().email.value }
        }) { client, auth, user in
            let browser = TestBrowser(client)
            try await browser.logIn(as: user, using: auth)
            let cookie = try #require(await browser.cookie("lith_session"))
            let token = try await browser.get("/token").body
            let out = try await browser.post("/out", fields: ["csrf_token": token])
            #expect(out.location == "/login")
            #expect(out.setCookie(named: "lith_session")?.contains("Max-Age=0") == true)
            #expect(try await auth.store.session(digest: try #require(SessionToken(cookieValue: cookie)).digest) == nil)
            let replay = TestBrowser(client)
            await replay.setCookie("lith_session", cookie)
            #expect(try await replay.get("/me").location == "/login?next=/me")
        }
    }

    @Test func requireUserThrows401ForAGuestReachingAPublicRoute() async throws {
        try await LibraryApp.run({ routes, _, _ in
            routes.public.get("/me") { _, context in try context.auth.requireUser().email.value }
        }) { client, _, _ in
            let page = try await TestBrowser(client).get("/me")
            #expect(page.status == .unauthorized)
        }
    }

    @Test func theCSRFTokenIsMadeOnlyWhenAPageAsksForIt() async throws {
        try await LibraryApp.run({ routes, _, _ in
            routes.public.get("/plain") { _, _ in "plain" }
            routes.public.get("/twice") { _, context in context.auth.csrfToken + " " + context.auth.csrfToken }
        }) { client, _, _ in
            // a page that doesn't ask mints no nonce; one that asks twice gets one token
            #expect(try await TestBrowser(client).get("/plain").setCookie(named: "lith_csrf") == nil)
            let twice = try await TestBrowser(client).get("/twice")
            let tokens = twice.body.split(separator: " ")
            #expect(tokens.count == 2 && tokens[0] == tokens[1])
            #expect(twice.setCookies.filter { $0.hasPrefix("lith_csrf=") }.count == 1)
        }
    }
}
