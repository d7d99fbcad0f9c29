@testable import Lith
import Testing

@Suite("EmailAddress")
struct EmailAddressTests {
    @Test func isTrimmedAndLowerCasedOnce() throws {
        #expect(try EmailAddress("  Ada.Lovelace@Example.COM \n").value == "ada.lovelace@example.com")
    }

    @Test func twoSpellingsOfOneAddressAreEqual() throws {
        #expect(try EmailAddress("ADA@example.com") == EmailAddress("ada@EXAMPLE.com"))
    }

    @Test(arguments: [
        ("", EmailAddress.Problem.missing), ("   ", .missing), ("plain", .malformed), ("a@", .malformed), ("@b.io", .malformed),
        ("a@b", .malformed), ("a@b..io", .malformed), ("a@@b.io", .malformed), ("a b@c.io", .invalidCharacters),
        ("a\u{0}@c.io", .invalidCharacters), ("a\u{7}@c.io", .invalidCharacters), ("a\u{200B}@c.io", .invalidCharacters),
    ])
    func badAddressesAreRefusedWithAReason(raw: String, problem: EmailAddress.Problem) {
        #expect(throws: problem) { try EmailAddress(raw) }
    }

    @Test func twoHundredFiftyFourCharactersIsTheLimit() throws {
        let local = String(repeating: "a", count: 254 - "@example.com".count)
        #expect(try EmailAddress(local + "@example.com").value.count == 254)
        #expect(throws: EmailAddress.Problem.tooLong) { try EmailAddress("a" + local + "@example.com") }
    }
}
