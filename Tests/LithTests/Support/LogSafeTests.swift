@_spi(Testing) import Lith
@_spi(Testing) import LithTestSupport
import Testing

/// Text from a request as it may appear in a log line.
@Suite("Log-safe text")
struct LogSafeTests {
    @Test(arguments: ["a\r\nFAKE", "a\nFAKE", "a\u{2028}FAKE", "a\u{2029}FAKE", "a\u{0B}FAKE", "a\u{85}FAKE", "a\u{202E}FAKE", "a\u{0}FAKE"])
    func lineBreakingAndControlCharactersAreEscaped(text: String) {
        let safe = text.logSafe
        #expect(!safe.unicodeScalars.contains { $0.properties.generalCategory == .control || $0.value == 0x2028 || $0.value == 0x2029 })
        #expect(safe.hasPrefix("a\\u{"))
        #expect(safe.hasSuffix("FAKE"))
    }

    @Test func printableTextIsKeptAsItIs() {
        #expect("Ada Lovelace <ada@example.com> é 😀".logSafe == "Ada Lovelace <ada@example.com> é 😀")
    }

    @Test func aBackslashIsEscapedSoNoOneCanWriteAFakeEscape() {
        #expect("\\u{a}".logSafe == "\\u{5c}u{a}")
    }

    @Test func longTextIsCutWithANoteOfWhatWasLeftOut() {
        let safe = String(repeating: "x", count: 8000).logSafe
        #expect(safe == String(repeating: "x", count: 200) + "…(7800 more)")
    }
}
