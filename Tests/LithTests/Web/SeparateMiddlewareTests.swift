import Hummingbird
import HummingbirdTesting
import Lith
import LithTesting
import Testing

/// `addLithMiddleware` installs the combined `LithMiddleware`; the three it
/// combines stay usable one by one, for apps that put their own middleware
/// between them.
@Suite("Session, CSRF and flash middleware one by one")
struct SeparateMiddlewareTests {
    @Test func theThreeMiddlewareComposedByHandBehaveLikeTheCombinedOne() async throws {
        let database = TemporaryDatabase()
        defer { database.remove() }
        let store = try await SQLiteStore.open(path: database.path)
        try await store.migrate()
        let auth = try await Authentication.make(store: store)
        let accounts = Accounts(store: store, hasher: PasswordHasher(parameters: .testsOnly))
        _ = try await accounts.register(email: "ada@example.com", password: TestApp.password, confirmation: TestApp.password)

        // Given the middleware added one at a time
        let router = Router(context: AppRequestContext.self)
        router.add(middleware: SessionMiddleware(auth))
        router.add(middleware: CSRFMiddleware(auth))
        router.add(middleware: FlashMiddleware(cookies: auth.cookies))
        let routes = Routes(router, authentication: auth)
        routes.get("/account") { _, context in "Hello, \(context.auth.user!.email)" }
        routes.public.get("/token") { _, context in context.auth.csrfToken }
        routes.guestOnly.post("/session") { request, context in
            let form = context.auth.form ?? FormData()
            guard let user = try await accounts.authenticate(email: form["email"] ?? "", password: form["password"] ?? "")
            else { return Response(status: .unauthorized) }
            return try await auth.logIn(user, rememberMe: false, redirectTo: "/account", request: request, context: context)
        }

        try await Application(router: router).test(.router) { client in
            let browser = TestBrowser(client)
            // then a guest is sent to log in, a post without the token is refused,
            // and one with it signs in
            #expect(try await browser.get("/account").location == "/login?next=/account")
            let token = try await browser.get("/token").body
            let forged = try await browser.post("/session", fields: ["email": "ada@example.com", "password": TestApp.password])
            #expect(forged.status == .forbidden)
            let login = try await browser.post("/session", fields: ["csrf_token": token, "email": "ada@example.com", "password": TestApp.password])
            #expect(login.location == "/account")
            #expect(try await browser.get("/account").body == "Hello, ada@example.com")
        }
        try await store.close()
    }
}
