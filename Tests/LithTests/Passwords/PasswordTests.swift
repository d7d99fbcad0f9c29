@_spi(Testing) import LithTestSupport
import Testing

@_spi(Testing) @testable import Lith

@Suite("Passwords")
struct PasswordTests {
    let hasher = PasswordHasher(parameters: .testsOnly, maximumConcurrentHashes: 2)

    @Test func aHashVerifiesTheRightPasswordAndNotAWrongOne() async throws {
        let hash = try await hasher.hash(try Password("correct horse battery"))
        #expect(try await hasher.verify(try Password("correct horse battery"), against: hash))
        #expect(!(try await hasher.verify(try Password("correct horse batterz"), against: hash)))
    }

    @Test func twoHashesOfOnePasswordDifferByTheirSalt() async throws {
        let first = try await hasher.hash(try Password("same password"))
        let second = try await hasher.hash(try Password("same password"))
        #expect(first.encoded != second.encoded)
    }

    @Test func theEncodingCarriesTheParametersAndRoundTrips() async throws {
        let hash = try await hasher.hash(try Password("correct horse battery"))
        #expect(hash.encoded.hasPrefix("$scrypt$ln=4,r=8,p=1$"))
        #expect(try PasswordHash(encoded: hash.encoded) == hash)
    }

    @Test func owaspParametersAreTheDefault() throws {
        #expect(ScryptParameters.owasp == (try ScryptParameters(logN: 17, r: 8, p: 1)))
        #expect(PasswordHasher().parameters == .owasp)
    }

    @Test(arguments: [
        "", "$scrypt$ln=4,r=8$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "$scrypt$ln=40,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "$bcrypt$2b$12$abc", "$scrypt$ln=4,r=8,p=1$***$***", "plaintext",
    ])
    func unrecognisedHashesAreRefused(encoded: String) {
        #expect(throws: PasswordHash.Problem.unrecognised) { try PasswordHash(encoded: encoded) }
    }

    @Test func aPasswordNeverPrintsItself() throws {
        let password = try Password("hunter2-hunter2")
        #expect(!"\(password)".contains("hunter2"))
        #expect(!String(reflecting: password).contains("hunter2"))
        var dumped = ""
        dump(password, to: &dumped)
        #expect(!dumped.contains("hunter2"))
    }

    @Test func scryptParametersAreBoundedToOneGibibyte() {
        #expect(throws: ScryptParameters.Problem.self) { try ScryptParameters(logN: 20, r: 16, p: 1) }
        #expect(throws: ScryptParameters.Problem.self) { try ScryptParameters(parsing: "ln=14,r=8") }
        #expect((try? ScryptParameters(parsing: "ln=14,r=8,p=1")) == .benchmark)
    }
}
