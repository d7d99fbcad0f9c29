import Foundation
@_spi(Testing) import Lith
@_spi(Testing) import LithTestSupport
import Testing

@testable import LithCLI

/// `lith user unlock`, `lith throttle list`, `lith audit`, and the serve options they go with.
@Suite("Account security commands")
struct AccountSecurityCommandTests {
    private func lith(_ arguments: [String]) async -> (Int32, ScriptedConsole) {
        let console = ScriptedConsole()
        let status = await ConsoleContext.$current.withValue(console) { await LithCommand.run(arguments: arguments) }
        return (status, console)
    }

    /// A database with Ada, five failed logins for her from one address, and a log.
    private func throttledAda(_ database: TemporaryDatabase) async throws {
        let store = try await SQLiteStore.open(path: database.path)
        try await store.migrate()
        let accounts = Accounts(store: store, hasher: PasswordHasher(parameters: .testsOnly))
        _ = try await accounts.register(email: "ada@example.com", password: "correct horse battery", confirmation: "correct horse battery")
        let client = Client(address: IPAddress("192.0.2.10"), userAgent: "curl/8.5.0")
        for _ in 0..<5 { _ = try await accounts.authenticate(email: "ada@example.com", password: "guess", from: client) }
        try await store.close()
    }

    @Test func throttleListShowsWhatWaitsAndUnlockClearsIt() async throws {
        let database = TemporaryDatabase()
        defer { database.remove() }
        // given Ada throttled from one address
        try await throttledAda(database)
        // when an operator lists what is throttled
        let (listed, list) = await lith(["throttle", "list", "--database", database.path])
        // then her account and that address are named
        #expect(listed == 0)
        #expect(list.output.contains("login_pair\tada@example.com\t192.0.2.10\t5\t"))
        // when they unlock her, then nothing about her waits any more
        let (unlocked, unlock) = await lith(["user", "unlock", "--email", "ADA@example.com", "--database", database.path])
        #expect(unlocked == 0)
        #expect(unlock.output == "Unlocked ada@example.com: cleared 2 counters.\n")
        #expect(await lith(["throttle", "list", "--database", database.path]).1.output == "Nothing is throttled.\n")
    }

    @Test func auditPrintsTheLogAsJSONLinesWithTheContractsFields() async throws {
        let database = TemporaryDatabase()
        defer { database.remove() }
        try await throttledAda(database)
        _ = await lith(["user", "unlock", "--email", "ada@example.com", "--database", database.path])
        // when the log is printed as JSON
        let (status, console) = await lith(["audit", "--json", "--email", "ada@example.com", "--database", database.path])
        #expect(status == 0)
        let lines = console.output.split(separator: "\n")
        let objects = try lines.map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        // then one object a line, oldest first, each with exactly the contract's keys
        #expect(objects.map { $0["event"] as? String } == ["signup"] + Array(repeating: "login_failed", count: 5) + ["user_unlocked"])
        #expect(objects.allSatisfy { Set($0.keys) == ["time", "event", "user_id", "email", "ip", "browser", "session_id"] })
        #expect(objects[1]["ip"] as? String == "192.0.2.10")
        #expect(objects[1]["browser"] as? String == "curl")
        #expect(objects[1]["email"] as? String == "ada@example.com")
    }

    @Test func auditSinceLeavesOutOlderEvents() async throws {
        let database = TemporaryDatabase()
        defer { database.remove() }
        let store = try await SQLiteStore.open(path: database.path)
        try await store.migrate()
        try await store.insertEvent(SecurityEvent(.loginFailed, at: Date().addingTimeInterval(-2 * 86400)))
        try await store.insertEvent(SecurityEvent(.logout, at: Date()))
        try await store.close()
        let (status, console) = await lith(["audit", "--since", "24h", "--database", database.path])
        #expect(status == 0)
        #expect(console.output.split(separator: "\n").count == 1)
        #expect(console.output.contains("\tlogout\t"))
    }

    @Test func createAndDeleteByTheCommandLineAreLogged() async throws {
        let database = TemporaryDatabase()
        defer { database.remove() }
        let console = ScriptedConsole(input: ["correct horse battery"])
        let created = await ConsoleContext.$current.withValue(console) {
            await LithCommand.run(arguments: [
                "user", "create", "--email", "ada@example.com", "--database", database.path, "--scrypt", "ln=4,r=8,p=1",
                "--allow-weak-scrypt-for-tests",
            ])
        }
        #expect(created == 0, "\(console.errors)")
        #expect(await lith(["user", "delete", "--email", "ada@example.com", "--database", database.path]).0 == 0)
        let (_, audit) = await lith(["audit", "--json", "--database", database.path])
        #expect(audit.output.contains("\"event\":\"user_created\""))
        #expect(audit.output.contains("\"event\":\"user_deleted\""))
    }

    @Test(arguments: [
        ["serve", "--trusted-proxies", "10.0.0.1/8"], ["serve", "--trusted-proxies", "not-an-address"],
        ["serve", "--throttle", "login-pair=0"], ["serve", "--throttle", "logins=5"], ["serve", "--password-min-length", "4"],
        ["serve", "--audit-retention", "forever"], ["serve", "--client-address-header", "x-real-ip"], ["audit", "--since", "yesterday"],
        ["user", "unlock", "--email", "not an email"],
    ])
    func mistakesInTheNewOptionsGetOneLineAndExit64(arguments: [String]) async throws {
        let database = TemporaryDatabase()
        defer { database.remove() }
        #expect(await lith(["migrate", "--database", database.path]).0 == 0)
        let (status, console) = await lith(arguments + ["--database", database.path])
        #expect(status == 64)
        #expect(console.errors.hasPrefix("lith: "))
        #expect(console.errors.split(separator: "\n").count == 1, "\(console.errors)")
    }

    @Test func theServeOptionsReachTheConfiguration() throws {
        let serve = try Serve.parse(["--trusted-proxies", "127.0.0.1, 10.0.0.0/8", "--throttle", "login-pair=3,signup-address=100"])
        let configuration = try serve.resolve(Environment(values: ["LITH_PASSWORD_MIN_LENGTH": "12", "LITH_AUDIT_RETENTION": "30d"]))
        #expect(configuration.trustedProxies.contains(IPAddress("10.1.2.3")!))
        #expect(!configuration.trustedProxies.contains(IPAddress("192.0.2.1")!))
        #expect(configuration.throttle.loginPair.freeFailures == 3)
        #expect(configuration.throttle.signupAddress.freeFailures == 100)
        #expect(configuration.throttle.loginAccount == ThrottlePolicy().loginAccount)
        #expect(configuration.passwordPolicy.minimumLength == 12)
        #expect(configuration.passwordPolicy.commonPasswords != nil)
        #expect(configuration.auditRetention == 30 * 86400)
    }
}
