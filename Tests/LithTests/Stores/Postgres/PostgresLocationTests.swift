@_spi(Testing) import LithTestSupport
import NIOSSL
import Testing

@_spi(Testing) @testable import Lith

/// What a `postgres://` URL asks for, above all how its TLS is checked.
@Suite("PostgreSQL URLs")
struct PostgresLocationTests {
    @Test func anotherMachineWithoutSSLModeGetsVerifiedTLS() throws {
        let location = try PostgresLocation(url: "postgres://lith:secret@db.internal:5432/lith")
        #expect(location.sslMode == .verifyFull)
        #expect(location.tlsConfiguration().certificateVerification == .fullVerification)
        #expect(location.tlsWarning == nil)
    }

    @Test(arguments: ["127.0.0.1", "localhost", "[::1]"])
    func aLoopbackHostWithoutSSLModeKeepsPrefer(host: String) throws {
        let location = try PostgresLocation(url: "postgres://lith@\(host)/lith")
        #expect(location.sslMode == .prefer)
        #expect(location.tlsWarning == nil)
    }

    @Test(arguments: ["disable", "require", "prefer"])
    func anExplicitlyUnverifiedConnectionToAnotherMachineIsWarnedAbout(mode: String) throws {
        let location = try PostgresLocation(url: "postgres://lith@db.internal/lith?sslmode=\(mode)")
        #expect(location.sslMode.rawValue == mode)
        #expect(location.tlsWarning?.contains("sslmode=\(mode)") == true)
    }

    @Test func verifyCAChecksTheChainButNotTheName() throws {
        let location = try PostgresLocation(url: "postgres://lith@10.0.0.5/lith?sslmode=verify-ca&sslrootcert=/etc/lith/ca.pem")
        #expect(location.tlsConfiguration().certificateVerification == .noHostnameVerification)
        #expect(location.rootCertificatePath == "/etc/lith/ca.pem")
    }

    @Test func anUnknownSSLModeIsAMistake() {
        #expect(throws: DatabaseLocation.Problem.invalidSSLMode("verify-everything")) {
            try PostgresLocation(url: "postgres://lith@db/lith?sslmode=verify-everything")
        }
    }

    @Test func thePasswordCanComeFromElsewhereButNotFromTwoPlaces() throws {
        #expect(try PostgresLocation(url: "postgres://lith@db/lith", password: "from-a-file").password == "from-a-file")
        #expect(try PostgresLocation(url: "postgres://lith:p%40ss@db/lith").password == "p@ss")
        #expect(throws: DatabaseLocation.Problem.passwordGivenTwice) {
            try PostgresLocation(url: "postgres://lith:in-url@db/lith", password: "from-a-file")
        }
    }

    @Test func searchPathAndApplicationNameAreSentAtConnectionTime() throws {
        let location = try PostgresLocation(url: "postgres://lith@db/lith?search_path=app&application_name=lith-1&other=x")
        #expect(location.startupParameters.map(\.0) == ["search_path", "application_name"])
        #expect(location.database == "lith")
        #expect(location.port == 5432)
    }

    @Test(arguments: ["postgres://", "postgres:///lith", "postgres://lith@/x"])
    func aURLWithoutAHostIsAMistakeReportedWithoutItsPassword(url: String) {
        #expect(throws: DatabaseLocation.Problem.self) { try DatabaseLocation(url) }
    }

    @Test func thePasswordNeverAppearsInWhatIsPrinted() throws {
        let url = "postgres://lith:hunter2-secret@db.internal:5432/lith?sslmode=verify-full"
        let location = try DatabaseLocation(url)
        #expect(!location.description.contains("hunter2-secret"))
        #expect(location.description == "postgres://lith:***@db.internal:5432/lith?sslmode=verify-full")
        let problem = DatabaseLocation.Problem.invalidURL(DatabaseLocation.redactingPassword("postgres://lith:hunter2-secret@"))
        #expect(!problem.description.contains("hunter2-secret"))
    }
}
