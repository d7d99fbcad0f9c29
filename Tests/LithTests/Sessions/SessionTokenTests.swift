import Crypto
import Foundation
@_spi(Testing) import LithTestSupport
import Testing

@_spi(Testing) @testable import Lith

@Suite("Session tokens")
struct SessionTokenTests {
    @Test func aTokenIs256BitsOfBase64URL() {
        let token = SessionToken.generate()
        #expect(token.cookieValue.count == 43)
        #expect(Base64URL.decode(token.cookieValue)?.count == 32)
        #expect(token.cookieValue.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
    }

    @Test func tokensDoNotRepeat() {
        let tokens = Set((0..<1000).map { _ in SessionToken.generate().cookieValue })
        #expect(tokens.count == 1000)
    }

    @Test func aTokenNeverPrintsItself() {
        let token = SessionToken.generate()
        var dumped = ""
        dump(token, to: &dumped)
        for text in ["\(token)", String(reflecting: token), dumped] {
            #expect(!text.contains(token.cookieValue))
        }
    }

    @Test func theDigestIsTheSHA256OfTheTokensBytesInLowerCaseHex() throws {
        // given a token, and SHA-256 of its bytes as swift-crypto computes it
        let token = SessionToken.generate()
        let bytes = try #require(Base64URL.decode(token.cookieValue))
        let expected = SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
        // then the digest is exactly that, and survives a round trip through the cookie
        #expect(token.digest.hex == expected)
        #expect(try #require(SessionToken(cookieValue: token.cookieValue)).digest == token.digest)
    }

    @Test(arguments: [
        "", "short", String(repeating: "A", count: 44), "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB",
        "+AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    ])
    func malformedCookieValuesAreNotTokens(value: String) {
        #expect(SessionToken(cookieValue: value) == nil)
    }
}
