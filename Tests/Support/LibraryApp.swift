import Foundation
import Hummingbird
import HummingbirdTesting
@_spi(Testing) import Lith
import LithTesting

/// Lith installed in a small app of its own (not Lith's web app): a fresh
/// SQLite store, one user, routes declared by the test, plus `/token`,
/// which answers the guest CSRF token.
public enum LibraryApp {
    public static func run(
        flashes: [Flash] = [],
        errorPage: ErrorPage<BasicLithRequestContext>? = nil,
        _ declare: (Routes<BasicLithRequestContext>, Authentication, User) -> Void,
        _ body: @Sendable (any TestClientProtocol, Authentication, User) async throws -> Void
    ) async throws {
        try await StoreKind.sqlite.with { store in
            let auth = try await Authentication(store: store, flashes: flashes)
            let user = try await Accounts(store: store, hasher: PasswordHasher(parameters: .testsOnly))
                .register(email: "ada@example.com", password: TestApp.password, confirmation: TestApp.password)
            let router = Router(context: BasicLithRequestContext.self)
            let routes = router.addLith(auth, errorPage: errorPage)
            routes.public.get("/token") { _, context in context.auth.csrfToken }
            declare(routes, auth, user)
            try await Application(router: router).test(.router) { client in try await body(client, auth, user) }
        }
    }
}
