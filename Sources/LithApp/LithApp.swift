import Foundation
import HTTPTypes
import Hummingbird
import Lith
import Logging
import NIOConcurrencyHelpers
import NIOCore
import ServiceLifecycle

/// The Lith web app, assembled: the one seam that `lith serve` and the tests
/// share (Hummingbird's `buildApplication`). Everything it depends on is
/// passed in or built from the configuration.
public struct LithApp {
    public let configuration: AppConfiguration
    public let store: any Store
    public let accounts: Accounts
    public let authentication: Authentication
    public let hasher: PasswordHasher
    public let router: Router<BasicLithRequestContext>
    public let passwordResets: PasswordResets
    public let emailVerifications: EmailVerifications
    public let emailChanges: EmailChanges
    /// Where queued mail goes (``MailDelivery`` runs beside the server).
    public let mailer: any Mailer
    let mailSignal: DeliverySignal
    /// The port the server listens on, once it does (for links in mail).
    let boundPort: NIOLockedValueBox<Int?>
    let logger: Logger
    let clock: @Sendable () -> Date

    /// Builds the app on `store`, or on the store `configuration.database`
    /// names, opened and migrated here (and closed again if building fails).
    public static func build(
        configuration: AppConfiguration,
        store injected: (any Store)? = nil,
        databasePassword: String? = nil,
        mailer: (any Mailer)? = nil,
        logger: Logger = Logger(label: "lith"),
        clock: @escaping @Sendable () -> Date = Date.init
    ) async throws -> LithApp {
        let store: any Store
        if let injected {
            store = injected
        } else {
            store = try await configuration.database.open(password: databasePassword, poolSize: configuration.databasePoolSize, logger: logger)
        }
        do {
            if injected == nil { try await store.migrate() }
            return try await build(configuration: configuration, migratedStore: store, mailer: mailer, logger: logger, clock: clock)
        } catch {
            if injected == nil { try? await store.close() }
            throw error
        }
    }

    private static func build(
        configuration: AppConfiguration,
        migratedStore store: any Store,
        mailer injectedMailer: (any Mailer)?,
        logger: Logger,
        clock: @escaping @Sendable () -> Date
    ) async throws -> LithApp {
        let hasher = PasswordHasher(
            parameters: configuration.scrypt,
            maximumConcurrentHashes: configuration.maximumConcurrentHashes,
            maximumWait: configuration.maximumHashWait
        )
        await hasher.warmUp()
        var passwordPolicy = configuration.passwordPolicy
        if passwordPolicy.commonPasswords == nil { passwordPolicy.commonPasswords = try CommonPasswords.bundled() }
        let securityLog = StoredSecurityLog(store: store, logger: logger)
        let accounts = Accounts(
            store: store,
            hasher: hasher,
            passwordPolicy: passwordPolicy,
            throttlePolicy: configuration.throttle,
            securityLog: securityLog,
            clock: clock,
            logger: logger
        )
        try await accounts.prepare()
        let authentication = try await Authentication(
            store: store,
            sessionPolicy: configuration.sessions,
            cookies: CookieSettings(secure: configuration.servesHTTPS),
            flashes: AppFlash.all,
            trustedProxies: configuration.trustedProxies,
            securityLog: securityLog,
            clock: clock,
            logger: logger
        )
        let mailer = try injectedMailer ?? configuration.mail.mailer(for: configuration.database, clock: clock)
        let mailSignal = DeliverySignal()
        let boundPort = NIOLockedValueBox<Int?>(nil)
        let mailQueue = MailQueue(
            outbox: store,
            composer: MailComposer(from: try configuration.mail.resolvedFrom(publicURL: configuration.publicURL), clock: clock),
            signal: mailSignal,
            clock: clock
        )
        let links = MailedLinks(
            store: store,
            mail: mailQueue,
            origin: { configuration.linkOrigin(port: boundPort.withLockedValue { $0 } ?? configuration.port) },
            securityLog: securityLog,
            clock: clock
        )
        let passwordResets = PasswordResets(
            accounts: accounts,
            links: links,
            letters: ResetLetters(siteName: configuration.mail.siteName),
            lifetime: configuration.mail.resetLinkLifetime
        )
        let addressLetters = AddressLetters(siteName: configuration.mail.siteName)
        let emailVerifications = EmailVerifications(
            mode: configuration.mail.emailVerification,
            accounts: accounts,
            links: links,
            letters: addressLetters
        )
        let emailChanges = EmailChanges(accounts: accounts, links: links, letters: addressLetters)
        let pages = try await Pages.load(logger: logger)
        let router = Router(context: BasicLithRequestContext.self, options: .autoGenerateHeadEndpoints)
        addRoutes(
            to: router,
            store: store,
            accounts: accounts,
            authentication: authentication,
            passwordResets: passwordResets,
            emailVerifications: emailVerifications,
            emailChanges: emailChanges,
            pages: pages,
            configuration: configuration,
            logger: logger
        )
        return LithApp(
            configuration: configuration,
            store: store,
            accounts: accounts,
            authentication: authentication,
            hasher: hasher,
            router: router,
            passwordResets: passwordResets,
            emailVerifications: emailVerifications,
            emailChanges: emailChanges,
            mailer: mailer,
            mailSignal: mailSignal,
            boundPort: boundPort,
            logger: logger,
            clock: clock
        )
    }

    private static func addRoutes(
        to router: Router<BasicLithRequestContext>,
        store: any Store,
        accounts: Accounts,
        authentication: Authentication,
        passwordResets: PasswordResets,
        emailVerifications: EmailVerifications,
        emailChanges: EmailChanges,
        pages: Pages,
        configuration: AppConfiguration,
        logger: Logger
    ) {
        // Before Lith: neither needs to know who is asking, so neither
        // costs a session lookup.
        router.get("/assets/style.css") { _, _ in
            Response(
                status: .ok,
                headers: [
                    .contentType: "text/css; charset=utf-8", .cacheControl: "public, max-age=3600",
                    HTTPField.Name("X-Content-Type-Options")!: "nosniff",
                ],
                body: .init(byteBuffer: pages.stylesheet)
            )
        }
        router.get("/healthz") { _, _ in "ok\n" }
        // Browsers ask for it on their own: an empty answer they may keep,
        // rather than a 404 in every console.
        router.get("/favicon.ico") { _, _ in
            Response(status: .noContent, headers: [.cacheControl: "public, max-age=86400"])
        }

        let errorPages = ErrorPages(
            pages: pages,
            refusals: RateLimitedLog(logger: logger),
            minimumPasswordLength: accounts.passwordPolicy.minimumLength
        )
        let routes = router.addLith(
            authentication,
            originCheck: OriginCheck(trustedOrigins: configuration.trustedOrigins, publicURL: configuration.publicURL),
            errorPage: errorPages.page
        )

        let mode = emailVerifications.mode
        let signup = SignupHandlers(accounts: accounts, authentication: authentication, pages: pages, verifications: emailVerifications)
        let login = LoginHandlers(accounts: accounts, authentication: authentication, pages: pages, verifications: emailVerifications)
        let dashboard = DashboardHandler(pages: pages, verification: mode)
        let account = AccountHandlers(accounts: accounts, authentication: authentication, store: store, pages: pages, verification: mode)
        let email = EmailHandlers(
            verifications: emailVerifications,
            changes: emailChanges,
            authentication: authentication,
            account: account,
            pages: pages
        )
        let reset = PasswordResetHandlers(resets: passwordResets, authentication: authentication, pages: pages, accounts: accounts)

        routes.public.get("/") { _, _ in Response.redirect(to: authentication.homePath, type: .found) }
        routes.guestOnly.get("/signup", use: signup.show)
        routes.guestOnly.post("/signup", use: signup.submit)
        routes.guestOnly.get("/login", use: login.show)
        routes.guestOnly.post("/login", use: login.submit)
        routes.public.post("/logout", use: login.logOut)
        routes.public.get("/logout", use: login.refuseGetLogout)
        routes.get("/dashboard", use: dashboard.show)
        routes.get("/account", use: account.show)
        routes.post("/account/password", use: account.changePassword)
        routes.post("/account/sessions/revoke", use: account.revokeSession)
        routes.post("/account/sessions/revoke-others", use: account.revokeOtherSessions)
        routes.post("/account/delete", use: account.deleteAccount)
        routes.post("/account/email", use: email.requestChange)
        routes.public.get("/account/email/confirm/:token", use: email.showConfirmChange)
        routes.public.post("/account/email/confirm", use: email.confirmChange)
        routes.public.get("/email/verify/:token", use: email.verify)
        routes.public.post("/email/verify/resend", use: email.resend)
        routes.post("/email/verify/later", use: email.later)
        routes.guestOnly.get("/password/forgot", use: reset.showForgot)
        routes.guestOnly.post("/password/forgot", use: reset.submitForgot)
        routes.public.get("/password/reset/:token", use: reset.openLink)
        routes.public.get("/password/reset", use: reset.showReset)
        routes.public.post("/password/reset", use: reset.submitReset)
    }

    /// The Hummingbird application serving this app on `host:port`, through
    /// Lith's HTTP channel (``ConnectionLimits``, ``AllowedHosts``). The store
    /// closes when it shuts down (the hashing pool goes with the hasher).
    public func application(onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }) throws -> some ApplicationProtocol {
        Application(
            router: router,
            server: .lith(limits: configuration.connections, allowedHosts: try configuration.resolvedAllowedHosts(), logger: logger),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: nil),
            services: [
                StoreClosingService(store: store),
                PurgeService(
                    store: store,
                    interval: configuration.sessionPurgeInterval,
                    auditRetention: configuration.auditRetention,
                    clock: clock,
                    logger: logger
                ),
                MailDelivery(store: store, mailer: mailer, clock: clock, logger: logger, signal: mailSignal),
            ],
            onServerRunning: { [boundPort] channel in
                boundPort.withLockedValue { $0 = channel.localAddress?.port }
                await onServerRunning(channel)
            },
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
