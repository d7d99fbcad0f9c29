@_spi(Testing) @testable import Lith
import Testing
@_spi(Testing) import LithTestSupport

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

    @Test func theDigestIsSHA256AndRoundTripsThroughACookie() throws {
        let token = SessionToken.generate()
        let parsed = try #require(SessionToken(cookieValue: token.cookieValue))
        #expect(parsed.digest == token.digest)
        #expect(token.digest.hex.count == 64)
    }

    @Test(arguments: ["", "short", String(repeating: "A", count: 44), "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB", "+AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"])
    func malformedCookieValuesAreNotTokens(value: String) {
        #expect(SessionToken(cookieValue: value) == nil)
    }
}
