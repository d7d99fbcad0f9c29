import Foundation
import Hummingbird
import HummingbirdTesting
@_spi(Testing) import Lith
@_spi(Testing) import LithTestSupport
import LithTesting
import Testing

/// The README's "add Lith to your own Hummingbird app" example, compiled and
/// run as written: the code between the markers below must be the README's,
/// character for character (the first test checks), and it must work.
@Suite("README example", .serialized)
struct ReadmeExampleTests {
    /// The lines between a `// README example` marker and `// end`, or the
    /// README's code block after its "Adding Lith" heading.
    static func block(in text: String, after start: String, until end: String) -> String? {
        guard let from = text.range(of: start) else { return nil }
        let rest = text[from.upperBound...]
        guard let firstNewline = rest.firstIndex(of: "\n"), let to = rest[firstNewline...].range(of: end) else { return nil }
        return rest[rest.index(after: firstNewline)..<to.lowerBound].split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.joined(separator: "\n")
    }

    @Test func theCodeBelowIsTheREADMEsExampleVerbatim() throws {
        let here = URL(fileURLWithPath: #filePath)
        let readme = try String(contentsOf: here.appendingPathComponent("../../../../README.md").standardized, encoding: .utf8)
        let source = try String(contentsOf: here, encoding: .utf8)
        let documented = try #require(Self.block(in: readme, after: "## Adding Lith to your own Hummingbird app\n\n```swift", until: "```"))
        let tested = try #require(Self.block(in: source, after: "// README example" + ", as written", until: "// end of the README example"))
        #expect(documented == tested)
    }

    @Test func theExampleProtectsItsPageAndLogsInThroughItsOwnRoute() async throws {
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: "app.sqlite" + suffix) } }

        // README example, as written
        let store = try await SQLiteStore.open(path: "app.sqlite")  // or PostgresStore.open(url:)
        try await store.migrate()
        let auth = try await Authentication(store: store)
        let accounts = Accounts(store: store, hasher: PasswordHasher())  // scrypt, OWASP cost
        let router = Router(context: BasicLithRequestContext.self)
        let routes = router.addLith(auth)  // login required unless a route opts out
        routes.get("/account") { _, context in
            let user = try context.auth.requireUser()
            return "Hello, \(user.email)"
        }
        routes.guestOnly.post("/session") { request, context in
            let form = context.form  // parsed once, CSRF already checked
            let client = auth.client(of: request, context: context)  // address and browser, for the throttle and the log
            guard let user = try await accounts.authenticate(email: form.text("email"), password: form.text("password"), from: client)
            else { return Response(status: .unauthorized) }  // a throttled attempt is a 429 by itself
            return try await auth.logIn(user, redirectTo: "/account", request: request, context: context)
        }
        // end of the README example

        routes.public.get("/token") { _, context in context.auth.csrfToken }
        // An account made with a cheap hash; the example's hasher verifies it
        // at the cost stored with it (and upgrades it).
        _ = try await Accounts(store: store, hasher: PasswordHasher(parameters: .testsOnly))
            .register(email: "ada@example.com", password: TestApp.password, confirmation: TestApp.password)
        try await Application(router: router).test(.router) { client in
            let browser = TestBrowser(client)
            #expect(try await browser.get("/account").location == "/login?next=/account")
            let token = try await browser.get("/token").body
            let login = try await browser.post("/session", fields: ["csrf_token": token, "email": "ada@example.com", "password": TestApp.password])
            #expect(login.location == "/account")
            #expect(try await browser.get("/account").body == "Hello, ada@example.com")
        }
        try await store.close()
    }
}
