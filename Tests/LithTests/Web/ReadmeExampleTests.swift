import Hummingbird
import HummingbirdTesting
import Lith
import LithTesting
import Testing

/// The README's "add Lith to your own Hummingbird app" example, kept compiling and working.
@Suite("README example")
struct ReadmeExampleTests {
    @Test func theExampleProtectsItsPageAndLogsInThroughItsOwnRoute() async throws {
        let database = TemporaryDatabase()
        defer { database.remove() }

        // --- as in the README ---
        let store = try await SQLiteStore.open(path: database.path)
        try await store.migrate()
        let auth = try await Authentication.make(store: store)
        let accounts = Accounts(store: store, hasher: PasswordHasher(parameters: .testsOnly))
        let router = Router(context: AppRequestContext.self)
        router.addLithMiddleware(auth)
        let routes = Routes(router, authentication: auth)  // login required unless a route opts out
        routes.get("/account") { _, context in "Hello, \(context.auth.user!.email)" }
        routes.guestOnly.post("/session") { request, context in
            let form = context.auth.form ?? FormData()
            guard let user = try await accounts.authenticate(email: form["email"] ?? "", password: form["password"] ?? "")
            else { return Response(status: .unauthorized) }
            return try await auth.logIn(user, rememberMe: false, redirectTo: "/account", request: request, context: context)
        }
        routes.public.get("/token") { _, context in context.auth.csrfToken }
        // --- end ---

        _ = try await accounts.register(email: "ada@example.com", password: TestApp.password, confirmation: TestApp.password)
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
