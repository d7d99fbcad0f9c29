import Foundation
import Hummingbird
import HummingbirdTesting
@_spi(Testing) import Lith
import LithApp
import LithTesting
import Logging

/// A clock tests can move forward, to reach session timeouts without waiting.
public final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var current = Date(timeIntervalSince1970: 1_800_000_000)

    public init() {}

    public var now: Date { lock.withLock { current } }

    public func advance(by interval: TimeInterval) {
        lock.withLock { current = current.addingTimeInterval(interval) }
    }
}

/// A temporary SQLite file, removed with its WAL files when the test ends.
public struct TemporaryDatabase: Sendable {
    public let path: String

    public init() {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lith-tests", isDirectory: true)
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        path = directory.appendingPathComponent("\(UUID().uuidString).sqlite").path
    }

    public func remove() {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }
}

/// The Lith app on a fresh store with a cheap scrypt cost, so a suite of
/// hundreds of logins runs in seconds. Nothing else differs from production,
/// except that the store's operations can be made to fail (``faults``).
public struct TestApp: Sendable {
    public let store: any Store
    public let accounts: Accounts
    public let authentication: Authentication
    public let clock: TestClock
    /// Where the app's mail goes: kept, for tests to read.
    public let mailer: CapturingMailer
    /// Makes the store's operations fail, as a database does when it goes away.
    @_spi(Testing) public let faults: StoreFaults

    public static let password = "correct horse battery"

    public static func configuration(_ configure: (inout AppConfiguration) -> Void = { _ in }) -> AppConfiguration {
        var configuration = AppConfiguration()
        configuration.scrypt = .testsOnly
        configuration.port = 0
        configure(&configuration)
        return configuration
    }

    /// Runs `body` against the app through Hummingbird's router test client
    /// (no sockets), or over a real socket with `.live`, on a fresh store of
    /// `kind`.
    public static func run(
        _ setup: TestingSetup = .router,
        on kind: StoreKind = .sqlite,
        configure: (inout AppConfiguration) -> Void = { _ in },
        _ body: @Sendable (TestApp, any TestClientProtocol) async throws -> Void
    ) async throws {
        let faults = StoreFaults()
        try await kind.with(injecting: faults) { store in
            let clock = TestClock()
            var logger = Logger(label: "lith-test")
            logger.logLevel = .critical
            let mailer = CapturingMailer()
            let app = try await LithApp.build(
                configuration: configuration(configure),
                store: store,
                mailer: mailer,
                logger: logger,
                clock: { clock.now }
            )
            let fixture = TestApp(
                store: app.store,
                accounts: app.accounts,
                authentication: app.authentication,
                clock: clock,
                mailer: mailer,
                faults: faults
            )
            try await app.application().test(setup) { client in
                try await body(fixture, client)
            }
        }
    }

    /// An account made directly, without the form.
    @discardableResult
    public func user(_ email: String = "ada@example.com", password: String = TestApp.password) async throws -> User {
        try await accounts.register(email: email, password: password, confirmation: password)
    }

    /// Sends what the outbox holds now (as the app's sender would, a moment
    /// later) and returns every message delivered so far, oldest first.
    ///
    /// The app's own sender runs too, and may have claimed a message this
    /// call can't take: it waits (up to 5 s) until nothing due is left
    /// queued, so a test never reads the mailbox while a message is in flight.
    @discardableResult
    public func deliverMail() async -> [OutgoingMail] {
        var logger = Logger(label: "lith-test")
        logger.logLevel = .critical
        let clock = self.clock
        let delivery = MailDelivery(store: store, mailer: mailer, clock: { clock.now }, logger: logger)
        let deadline = ContinuousClock.now + .seconds(5)
        while true {
            await delivery.deliverDue()
            let inFlight = (try? await store.outbox(limit: 1000))?.contains { $0.status == .queued && $0.nextAttemptAt <= clock.now } ?? false
            guard inFlight, ContinuousClock.now < deadline else { break }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return mailer.messages
    }

    /// How many sessions the store holds.
    public func sessionCount() async throws -> Int {
        try await store.sessionCount()
    }
}

extension StoreLifecycle {
    /// How many sessions the store holds (test-only: no part of Lith asks).
    public func sessionCount() async throws -> Int {
        switch self {
        case let sqlite as SQLiteStore: try await sqlite.sessionCount()
        case let postgres as PostgresStore: try await postgres.sessionCount()
        default: fatalError("no session count for \(type(of: self))")
        }
    }
}

extension TestBrowser {
    /// The CSRF token of the form posting to `action` on `page`, as a guest
    /// opening it would get it.
    public func token(on page: String = "/login", for action: String = "/login") async throws -> String {
        guard let token = try await get(page).csrfToken(forFormWithAction: action) else {
            throw TestBrowserError.formNotFound(page: page, action: action, status: 0)
        }
        return token
    }
}
