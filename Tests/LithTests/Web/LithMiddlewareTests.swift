import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
@_spi(Testing) import Lith
@_spi(Testing) import LithTestSupport
import LithTesting
import Testing

/// Lith installed in an app of its own (not Lith's web app), through its one
/// install call: what every route declared through it gets.
@Suite("Lith in an app of its own")
struct LithMiddlewareTests {
    @Test func putPatchAndDeleteNeedASignedInUserLikeGetAndPost() async throws {
        try await LibraryApp.run({ routes, _, _ in
            routes.put("/thing") { _, _ in "put" }
            routes.patch("/thing") { _, _ in "patched" }
            routes.delete("/thing") { _, _ in "deleted" }
        }) { client, _, _ in
            // given a guest with a valid token
            let browser = TestBrowser(client)
            let token = try await browser.get("/token").body
            // when they put, patch or delete, then they are sent to log in and nothing ran
            for method in [HTTPRequest.Method.put, .patch, .delete] {
                let response = try await browser.send(method, "/thing", headers: [.init("X-CSRF-Token")!: token])
                #expect(response.status == .found, "\(method)")
                #expect(response.location == "/login?next=/thing")
            }
        }
    }

    @Test func aURLEncodedFormIsParsedWhenTheTokenComesInAHeader() async throws {
        try await LibraryApp.run({ routes, _, _ in
            routes.public.post("/echo") { _, context in context.form.text("name") }
        }) { client, _, _ in
            // given a script that sends the token in a header and the data as a form
            let browser = TestBrowser(client)
            let token = try await browser.get("/token").body
            // when it posts
            let page = try await browser.post("/echo", body: "name=Ada", headers: [.init("X-CSRF-Token")!: token])
            // then the handler sees the form
            #expect(page.status == .ok)
            #expect(page.body == "Ada")
        }
    }

    @Test func aHandlersErrorGetsTheSecurityHeadersWithoutErrorPages() async throws {
        try await LibraryApp.run({ routes, _, _ in
            routes.public.get("/gone") { _, _ -> Response in throw HTTPError(.gone, message: "moved on") }
        }) { client, _, _ in
            let page = try await TestBrowser(client).get("/gone")
            #expect(page.status == .gone)
            #expect(page.body.contains("moved on"))
            #expect(page.headers[.contentSecurityPolicy] != nil)
            #expect(page.headers[.cacheControl] == "no-store")
        }
    }

    @Test func aRouteThatSetsItsOwnPolicyKeepsItAndGetsTheRest() async throws {
        try await LibraryApp.run({ routes, _, _ in
            routes.public.get("/embed") { _, _ in
                Response(status: .ok, headers: [.contentSecurityPolicy: "default-src 'self'; frame-ancestors https://partner.example"])
            }
        }) { client, _, _ in
            let page = try await TestBrowser(client).get("/embed")
            #expect(page.headers[.contentSecurityPolicy] == "default-src 'self'; frame-ancestors https://partner.example")
            #expect(page.headers[values: .contentSecurityPolicy].count == 1)
            #expect(page.headers[HTTPField.Name("X-Content-Type-Options")!] == "nosniff")
            #expect(page.headers[.cacheControl] == "no-store")
        }
    }

    @Test func anAppsOwnFlashTravelsByNameAndIsShownOnce() async throws {
        let saved = Flash("profile_saved", message: "Profile saved.", kind: .success)
        try await LibraryApp.run(
            flashes: [saved],
            { routes, auth, user in
                routes.public.get("/save") { _, context in
                    var response = Response.redirect(to: "/show")
                    auth.flash(saved, on: &response, context: context)
                    return response
                }
                routes.public.get("/show") { _, context in context.auth.flash?.message ?? "nothing" }
            }
        ) { client, _, _ in
            let browser = TestBrowser(client)
            let redirect = try await browser.get("/save")
            // only the name travels
            #expect(redirect.setCookie(named: "lith_flash")?.hasPrefix("lith_flash=profile_saved;") == true)
            #expect(try await browser.get("/show").body == "Profile saved.")
            #expect(try await browser.get("/show").body == "nothing")
        }
    }

    @Test func aFlashCookieNamingNoRegisteredMessageShowsNothingAndGoes() async throws {
        try await LibraryApp.run({ routes, _, _ in
            routes.public.get("/show") { _, context in context.auth.flash?.message ?? "nothing" }
        }) { client, _, _ in
            let browser = TestBrowser(client)
            await browser.setCookie("lith_flash", "<script>alert(1)</script>")
            let page = try await browser.get("/show")
            #expect(page.body == "nothing")
            #expect(page.setCookie(named: "lith_flash")?.contains("Max-Age=0") == true)
        }
    }

    @Test func aPageWithoutAFormCostsAGuestNoCSRFCookie() async throws {
        try await LibraryApp.run({ routes, _, _ in
            routes.public.get("/plain") { _, _ in "plain" }
        }) { client, _, _ in
            let page = try await TestBrowser(client).get("/plain")
            #expect(page.setCookie(named: "lith_csrf") == nil)
            #expect(try await TestBrowser(client).get("/token").setCookie(named: "lith_csrf") != nil)
        }
    }

    @Test func logInFollowsOnlyASameSitePath() async throws {
        try await LibraryApp.run({ routes, auth, user in
            routes.public.get("/in") { request, context in
                try await auth.logIn(user, redirectTo: request.uri.queryParameters["to"].map(String.init), request: request, context: context)
            }
        }) { client, _, _ in
            let sameSite = try await TestBrowser(client).get("/in?to=/account")
            let protocolRelative = try await TestBrowser(client).get("/in?to=//evil.example")
            let otherSite = try await TestBrowser(client).get("/in?to=https://evil.example/")
            #expect(sameSite.location == "/account")
            #expect(protocolRelative.location == "/dashboard")
            #expect(otherSite.location == "/dashboard")
        }
    }
}
