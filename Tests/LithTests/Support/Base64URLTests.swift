import Foundation
@_spi(Testing) import LithTestSupport
import Testing

@_spi(Testing) @testable import Lith

@Suite("Base64url and hex")
struct Base64URLTests {
    /// Foundation's base64 with the URL alphabet and no padding: the reference.
    private func reference(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    @Test func encodingMatchesFoundationForEveryLengthAndByte() {
        var generator = SystemRandomNumberGenerator()
        for length in 0...66 {
            let bytes = (0..<length).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
            #expect(Base64URL.encode(bytes) == reference(bytes))
            #expect(Base64URL.decode(Base64URL.encode(bytes)) == bytes)
        }
        let everyByte = (0...255).map(UInt8.init)
        #expect(Base64URL.encode(everyByte) == reference(everyByte))
        #expect(Base64URL.decode(reference(everyByte)) == everyByte)
    }

    @Test func aSubstringDecodesLikeTheString() {
        let text = "xx" + reference([1, 2, 3, 250]) + "yy"
        let inner = text.dropFirst(2).dropLast(2)
        #expect(Base64URL.decode(inner) == [1, 2, 3, 250])
    }

    @Test(arguments: ["A", "AAAAA", "AA==", "AB", "AAB", "A+AA", "A/AA", "AA AA", "AA\u{E9}A"])
    func anythingButCanonicalUnpaddedBase64URLIsRefused(text: String) {
        #expect(Base64URL.decode(text) == nil)
    }

    @Test func hexIsLowerCaseTwoDigitsPerByte() {
        #expect(([0x00, 0x09, 0x0a, 0xf0, 0xff] as [UInt8]).hexString == "00090af0ff")
        #expect([UInt8]().hexString == "")
    }
}
