import Foundation
@_spi(Testing) import LithTestSupport
import Testing

@_spi(Testing) @testable import Lith

@Suite("EmailAddress")
struct EmailAddressTests {
    @Test func isTrimmedAndLowerCasedOnce() throws {
        #expect(try EmailAddress("  Ada.Lovelace@Example.COM \n").value == "ada.lovelace@example.com")
    }

    @Test func twoSpellingsOfOneAddressAreEqual() throws {
        #expect(try EmailAddress("ADA@example.com") == EmailAddress("ada@EXAMPLE.com"))
    }

    @Test func composedAndDecomposedAccentsAreOneAddress() throws {
        #expect(try EmailAddress("jos\u{E9}@example.com") == EmailAddress("jose\u{301}@example.com"))
        #expect(try EmailAddress("\u{DC}ber@example.com") == EmailAddress("\u{FC}ber@example.com"))
    }

    @Test(arguments: ["a.b@example.com", "first+tag@sub.example.co.uk", "x@b.io", "jos\u{E9}@b\u{FC}cher.example", "o'neil@example.com"])
    func ordinaryAddressesAreAccepted(raw: String) throws {
        #expect(try EmailAddress(raw).value == raw.lowercased().precomposedStringWithCanonicalMapping)
    }

    @Test(arguments: [
        ("", EmailAddress.Problem.missing), ("   ", .missing), ("plain", .malformed), ("a@", .malformed), ("@b.io", .malformed),
        ("a@b", .malformed), ("a@b..io", .malformed), ("a@@b.io", .malformed), ("a b@c.io", .invalidCharacters),
        ("a\u{0}@c.io", .invalidCharacters), ("a\u{7}@c.io", .invalidCharacters), ("a\u{200B}@c.io", .invalidCharacters),
        ("a..b@example.com", .malformed), (".a@example.com", .malformed), ("a.@example.com", .malformed), ("a@-example.com", .malformed),
        ("a@example-.com", .malformed), ("a@[127.0.0.1]", .malformed), ("a<b>@example.com", .malformed), ("a@exa_mple.com", .malformed),
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
