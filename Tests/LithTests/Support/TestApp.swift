import Foundation
import Hummingbird
import HummingbirdTesting
import Lith
import LithTesting
import Logging

/// A clock tests can move forward, to reach session timeouts without waiting.
final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var current = Date(timeIntervalSince1970: 1_800_000_000)

    var now: Date { lock.withLock { current } }

    func advance(by interval: TimeInterval) {
        lock.withLock { current = current.addingTimeInterval(interval) }
    }
}

/// A temporary SQLite file, removed with its WAL files when the test ends.
struct TemporaryDatabase {
    let path: String

    init() {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lith-tests", isDirectory: true)
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        path = directory.appendingPathComponent("\(UUID().uuidString).sqlite").path
    }

    func remove() {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }
}

/// The Lith app on a fresh database with a cheap scrypt cost, so a suite of
/// hundreds of logins runs in seconds. Nothing else differs from production.
struct TestApp: Sendable {
    let store: any Store
    let accounts: Accounts
    let authentication: Authentication
    let clock: TestClock

    static let password = "correct horse battery"

    static func configuration(_ configure: (inout AppConfiguration) -> Void = { _ in }) -> AppConfiguration {
        var configuration = AppConfiguration()
        configuration.scrypt = .testsOnly
        configuration.port = 0
        configure(&configuration)
        return configuration
    }

    /// Runs `body` against the app through Hummingbird's router test client
    /// (no sockets), or over a real socket with `.live`.
    static func run(
        _ setup: TestingSetup = .router,
        configure: (inout AppConfiguration) -> Void = { _ in },
        store makeStore: ((String) async throws -> any Store)? = nil,
        _ body: @Sendable (TestApp, any TestClientProtocol) async throws -> Void
    ) async throws {
        let database = TemporaryDatabase()
        defer { database.remove() }
        let store: any Store
        if let makeStore {
            store = try await makeStore(database.path)
        } else {
            store = try await SQLiteStore.open(path: database.path)
            try await store.migrate()
        }
        let clock = TestClock()
        var logger = Logger(label: "lith-test")
        logger.logLevel = .critical
        let app = try await LithApp.build(configuration: configuration(configure), store: store, logger: logger, clock: { clock.now })
        let fixture = TestApp(store: app.store, accounts: app.accounts, authentication: app.authentication, clock: clock)
        try await app.application().test(setup) { client in
            try await body(fixture, client)
        }
    }

    /// An account made directly, without the form.
    @discardableResult
    func user(_ email: String = "ada@example.com", password: String = TestApp.password) async throws -> User {
        try await accounts.register(email: email, password: password, confirmation: password)
    }
}
