import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// The Lith web app, assembled: the one seam that `lith serve` and the tests
/// share. Everything it depends on is passed in or built from the configuration.
public struct LithApp {
    public let configuration: AppConfiguration
    public let store: any Store
    public let accounts: Accounts
    public let authentication: Authentication
    public let hasher: PasswordHasher
    public let router: Router<AppRequestContext>
    let logger: Logger
    let clock: @Sendable () -> Date

    /// Builds the app on `store`, which must already be migrated.
    public static func build(
        configuration: AppConfiguration, store: any Store, logger: Logger = Logger(label: "lith"),
        clock: @escaping @Sendable () -> Date = Date.init
    ) async throws -> LithApp {
        let hasher = PasswordHasher(
            parameters: configuration.scrypt, maximumConcurrentHashes: configuration.maximumConcurrentHashes,
            maximumWait: configuration.maximumHashWait)
        await hasher.warmUp()
        let accounts = Accounts(store: store, hasher: hasher, policy: configuration.passwordPolicy, clock: clock)
        let authentication = try await Authentication.make(
            store: store, policy: configuration.sessions, cookies: CookieSettings(secure: configuration.servesHTTPS), clock: clock,
            logger: logger)
        let pages = try await Pages.load()
        let router = Router(context: AppRequestContext.self, options: .autoGenerateHeadEndpoints)
        addRoutes(to: router, accounts: accounts, authentication: authentication, pages: pages, configuration: configuration, logger: logger)
        return LithApp(
            configuration: configuration, store: store, accounts: accounts, authentication: authentication, hasher: hasher,
            router: router, logger: logger, clock: clock)
    }

    private static func addRoutes(
        to router: Router<AppRequestContext>, accounts: Accounts, authentication: Authentication, pages: Pages, configuration: AppConfiguration,
        logger: Logger
    ) {
        router.addLithMiddleware(
            authentication, originCheck: OriginCheck(trustedOrigins: configuration.trustedOrigins, publicURL: configuration.publicURL),
            errorPages: ErrorPagesMiddleware(pages: pages, refusals: RateLimitedLog(logger: logger)))

        let signup = SignupHandlers(accounts: accounts, authentication: authentication, pages: pages)
        let login = LoginHandlers(accounts: accounts, authentication: authentication, pages: pages)
        let dashboard = DashboardHandler(pages: pages)
        let routes = Routes(router, authentication: authentication)

        routes.public.get("/") { _, _ in Response.redirect(to: authentication.homePath, type: .found) }
        routes.public.get("/assets/style.css") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/css; charset=utf-8", .cacheControl: "public, max-age=3600"],
                body: .init(byteBuffer: pages.stylesheet))
        }
        routes.public.get("/healthz") { _, _ in "ok\n" }

        routes.guestOnly.get("/signup", use: signup.show)
        routes.guestOnly.post("/signup", use: signup.submit)
        routes.guestOnly.get("/login", use: login.show)
        routes.guestOnly.post("/login", use: login.submit)
        routes.public.post("/logout", use: login.logOut)
        routes.public.get("/logout", use: login.refuseGetLogout)

        routes.get("/dashboard", use: dashboard.show)
    }

    /// The Hummingbird application serving this app on `host:port`. The store
    /// closes when it shuts down (the hashing pool goes with the hasher).
    public func application(onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }) throws -> some ApplicationProtocol {
        Application(
            router: router,
            server: .lith(limits: configuration.connections, allowedHosts: try configuration.resolvedAllowedHosts(), logger: logger),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: nil),
            services: [
                StoreClosingService(store: store),
                SessionPurgeService(store: store, interval: configuration.sessionPurgeInterval, clock: clock, logger: logger),
            ],
            onServerRunning: onServerRunning,
            logger: logger
        )
    }
}

/// Closes the store once the server has stopped taking requests.
struct StoreClosingService: Service {
    let store: any Store

    func run() async throws {
        try? await gracefulShutdown()
        try await store.close()
    }
}
