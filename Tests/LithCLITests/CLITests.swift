import Foundation
@_spi(Testing) import Lith
@_spi(Testing) import LithTestSupport
import Testing

@testable import LithCLI

/// A console fed from a script: lines of standard input, no terminal.
final class ScriptedConsole: Console, @unchecked Sendable {
    private let lock = NSLock()
    private var input: [String]
    private let secrets: [String]?
    private var secretIndex = 0
    private(set) var output = ""
    private(set) var errors = ""

    init(input: [String] = [], secrets: [String]? = nil) {
        self.input = input
        self.secrets = secrets
    }

    func write(_ text: String) { lock.withLock { output += text } }
    func writeError(_ text: String) { lock.withLock { errors += text } }
    func readLine() -> String? { lock.withLock { input.isEmpty ? nil : input.removeFirst() } }
    func readSecret(prompt: String) -> String? {
        lock.withLock {
            guard let secrets, secretIndex < secrets.count else { return nil }
            defer { secretIndex += 1 }
            return secrets[secretIndex]
        }
    }
}

@Suite("Admin commands")
struct CLITests {
    /// Runs `lith arguments…` in-process with a scripted console.
    private func lith(_ arguments: [String], console: ScriptedConsole = ScriptedConsole()) async -> (Int32, ScriptedConsole) {
        let status = await ConsoleContext.$current.withValue(console) {
            await LithCommand.run(arguments: arguments)
        }
        return (status, console)
    }

    @Test func migrateCreatesTheDatabase() async throws {
        let database = TemporaryDatabase()
        defer { database.remove() }
        let (status, console) = await lith(["migrate", "--database", database.path])
        #expect(status == 0)
        #expect(console.output.contains("up to date"))
        #expect(FileManager.default.fileExists(atPath: database.path))
    }

    @Test func userCreateReadsThePasswordFromStandardInputAndListShowsIt() async throws {
        let database = TemporaryDatabase()
        defer { database.remove() }
        let (created, createConsole) = await lith(
            [
                "user", "create", "--email", "Ada@Example.com", "--database", database.path, "--scrypt", "ln=4,r=8,p=1",
                "--allow-weak-scrypt-for-tests",
            ],
            console: ScriptedConsole(input: ["correct horse battery"])
        )
        #expect(created == 0, "\(createConsole.errors)")
        #expect(createConsole.output.contains("ada@example.com"))
        let (listed, listConsole) = await lith(["user", "list", "--database", database.path])
        #expect(listed == 0)
        #expect(listConsole.output.contains("ada@example.com"))
        // and the stored password works, hashed
        let store = try await SQLiteStore.open(path: database.path)
        let (_, encoded) = try #require(try await store.credentials(email: try EmailAddress("ada@example.com")))
        #expect(
            try await PasswordHasher(parameters: .testsOnly).verify(
                try Password("correct horse battery"),
                against: try PasswordHash(encoded: encoded)
            )
        )
        try await store.close()
    }

    @Test func userCreateAtATerminalAsksTwiceAndRefusesAMismatch() async throws {
        let database = TemporaryDatabase()
        defer { database.remove() }
        let (status, console) = await lith(
            [
                "user", "create", "--email", "ada@example.com", "--database", database.path, "--scrypt", "ln=4,r=8,p=1",
                "--allow-weak-scrypt-for-tests",
            ],
            console: ScriptedConsole(secrets: ["correct horse battery", "correct horse batterY"])
        )
        #expect(status != 0)
        #expect(console.errors == "lith: the passwords don't match\n")
    }

    @Test func userCreateWithoutAPasswordFailsWithOneLine() async throws {
        let database = TemporaryDatabase()
        defer { database.remove() }
        let (status, console) = await lith(["user", "create", "--email", "ada@example.com", "--database", database.path])
        #expect(status != 0)
        #expect(console.errors.split(separator: "\n").count == 1)
        #expect(console.errors.hasPrefix("lith: no password given"))
    }

    @Test(arguments: [["user", "create", "--email", "not-an-email"], ["user", "create", "--email", "ada@example.com"]])
    func userCreateRefusesBadInputWithOneLine(arguments: [String]) async throws {
        let database = TemporaryDatabase()
        defer { database.remove() }
        let input = arguments.last == "ada@example.com" ? ["short"] : ["correct horse battery"]
        let (status, console) = await lith(
            arguments + ["--database", database.path, "--scrypt", "ln=4,r=8,p=1", "--allow-weak-scrypt-for-tests"],
            console: ScriptedConsole(input: input)
        )
        #expect(status != 0)
        #expect(console.errors.split(separator: "\n").count == 1)
        #expect(console.errors.hasPrefix("lith: "))
    }

    @Test func userCreateRefusesATakenEmail() async throws {
        let database = TemporaryDatabase()
        defer { database.remove() }
        let arguments = [
            "user", "create", "--email", "ada@example.com", "--database", database.path, "--scrypt", "ln=4,r=8,p=1", "--allow-weak-scrypt-for-tests",
        ]
        _ = await lith(arguments, console: ScriptedConsole(input: ["correct horse battery"]))
        let (status, console) = await lith(arguments, console: ScriptedConsole(input: ["correct horse battery"]))
        #expect(status != 0)
        #expect(console.errors.contains("already exists"))
    }

    @Test func userDeleteRemovesTheAccountAndEndsItsSessions() async throws {
        let database = TemporaryDatabase()
        defer { database.remove() }
        // given an account with a session
        let store = try await SQLiteStore.open(path: database.path)
        try await store.migrate()
        let accounts = Accounts(store: store, hasher: PasswordHasher(parameters: .testsOnly))
        let user = try await accounts.register(email: "ada@example.com", password: "correct horse battery", confirmation: "correct horse battery")
        let authentication = try await Authentication(store: store)
        _ = try await authentication.startSession(for: user, rememberMe: false)
        // when it is deleted
        let (status, console) = await lith(["user", "delete", "--email", "ADA@example.com", "--database", database.path])
        // then account and session are gone
        #expect(status == 0)
        #expect(console.output.contains("Deleted ada@example.com"))
        #expect(try await store.users().isEmpty)
        #expect(try await store.sessionCount() == 0)
        try await store.close()
    }

    @Test func userDeleteOfAnUnknownEmailFails() async throws {
        // given a database without that account
        let database = TemporaryDatabase()
        defer { database.remove() }
        #expect(await lith(["migrate", "--database", database.path]).0 == 0)
        // when it is deleted, then it says so
        let (status, console) = await lith(["user", "delete", "--email", "nobody@example.com", "--database", database.path])
        #expect(status == 64)
        #expect(console.errors == "lith: no account with email nobody@example.com\n")
    }

    @Test(arguments: [["user", "list"], ["user", "delete", "--email", "ada@example.com"]])
    func aCommandThatOnlyReadsOrRemovesRefusesAMissingDatabaseInsteadOfCreatingOne(arguments: [String]) async throws {
        // given a mistyped database path
        let database = TemporaryDatabase()
        // when a command that only reads or removes is given it
        let (status, console) = await lith(arguments + ["--database", database.path])
        // then it says so in one line, exits 66, and creates nothing
        #expect(status == 66)
        #expect(console.errors == "lith: --database: there is no database at \(database.path)\n")
        #expect(!FileManager.default.fileExists(atPath: database.path))
    }

    @Test func aMissingFolderIsNamedInOneLine() async throws {
        let (status, console) = await lith(["migrate", "--database", "/nonexistent-lith-folder/lith.sqlite"])
        #expect(status == 66)
        #expect(console.errors == "lith: --database: the folder /nonexistent-lith-folder does not exist\n")
    }

    @Test(arguments: [
        ["serve", "--port", "99999"], ["serve", "--port", "eighty"], ["serve", "--log-level", "loud"], ["serve", "--database", "mysql://x"],
        ["serve", "--scrypt", "ln=99,r=8,p=1"], ["serve", "--session-idle", "soon"], ["frobnicate"], ["user", "create"],
        ["serve", "--trusted-origin", "example.com"],
    ])
    func mistakesGetOneReadableLineAndANonZeroExit(arguments: [String]) async throws {
        let database = TemporaryDatabase()
        defer { database.remove() }
        // given a scratch database path, unless the mistake is in --database itself
        let arguments = arguments.contains("--database") ? arguments : arguments + ["--database", database.path]
        let (status, console) = await lith(arguments)
        #expect(status != 0)
        #expect(console.errors.hasPrefix("lith: "))
        #expect(console.errors.split(separator: "\n").count == 1, "\(console.errors)")
        // and a mistake is caught before anything is created
        #expect(!FileManager.default.fileExists(atPath: database.path))
    }

    @Test func hashRatePrintsHashesPerSecondAsJSON() async throws {
        let (status, console) = await lith(["hash-rate", "--scrypt", "ln=4,r=8,p=1", "--allow-weak-scrypt-for-tests", "--seconds", "0.2"])
        #expect(status == 0)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(console.output.utf8)) as? [String: Any])
        #expect(json["scrypt"] as? String == "ln=4,r=8,p=1")
        #expect(((json["hashes_per_second"] as? NSNumber)?.doubleValue ?? 0) > 0)
        #expect(((json["hashes"] as? NSNumber)?.intValue ?? 0) > 0)
    }

    @Test func helpIsPrintedAndExitsZero() async throws {
        let (status, console) = await lith(["--help"])
        #expect(status == 0)
        for word in ["serve", "migrate", "user"] { #expect(console.output.contains(word)) }
        let (serveStatus, serveConsole) = await lith(["serve", "--help"])
        #expect(serveStatus == 0)
        for flag in ["--host", "--port", "--database", "--log-level", "--secure-cookies", "LITH_DATABASE_URL"] {
            #expect(serveConsole.output.contains(flag))
        }
    }

    @Test func environmentVariablesFillInForMissingFlags() throws {
        let serve = try Serve.parse(["--port", "9000"])
        let configuration = try serve.resolve(
            Environment(values: [
                "LITH_PORT": "1234", "LITH_HOST": "0.0.0.0", "LITH_SECURE_COOKIES": "true", "LITH_SESSION_IDLE": "15m",
                "LITH_PUBLIC_URL": "https://login.example.com", "LITH_IDLE_TIMEOUT": "75s",
            ])
        )
        #expect(configuration.port == 9000)  // the flag wins
        #expect(configuration.host == "0.0.0.0")
        #expect(configuration.secureCookies)
        #expect(configuration.sessions.idleTimeout == 900)
        #expect(configuration.publicURL?.origin == "https://login.example.com")
        #expect(configuration.connections.idleTimeout == .seconds(75))
    }
}
