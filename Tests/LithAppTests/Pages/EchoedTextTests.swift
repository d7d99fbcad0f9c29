@_spi(Testing) import LithTestSupport
import Testing

@_spi(Testing) @testable import Lith
@testable import LithApp

/// What a rejected form may echo back of what was typed.
@Suite("Echoed text")
struct EchoedTextTests {
    @Test(arguments: ["ada@example.com", "", "a b~!\"<>&'"])
    func printableASCIIComesBackUnchanged(text: String) {
        #expect(text.withoutControlCharacters == text)
    }

    @Test func controlCharactersAreDroppedAndOtherTextKept() {
        #expect("a\u{0}b\u{7}c\u{7F}d\u{85}e".withoutControlCharacters == "abcde")
        #expect("é\u{0}日本 🎉".withoutControlCharacters == "é日本 🎉")
        #expect("tab\there\r\n".withoutControlCharacters == "tabhere")
    }
}
