import Foundation
@_spi(Testing) import LithTestSupport
import Logging
import Testing

@testable import LithCLI

@Suite("Server log lines")
struct LogHandlerTests {
    /// Collects what the handler writes.
    final class Lines: TextOutputStream, @unchecked Sendable {
        private let lock = NSLock()
        private var text = ""
        func write(_ string: String) { lock.withLock { text += string } }
        var written: String { lock.withLock { text } }
    }

    /// Counts how often its text is asked for.
    final class CountingDescription: CustomStringConvertible, @unchecked Sendable {
        private let lock = NSLock()
        private var count = 0
        var description: String {
            lock.withLock { count += 1 }
            return "req-42"
        }
        var formatted: Int { lock.withLock { count } }
    }

    func logger(_ lines: Lines, level: Logger.Level) -> Logger {
        var handler = LazyMetadataLogHandler(StreamLogHandler(label: "lith", stream: lines, metadataProvider: nil))
        handler.logLevel = level
        return Logger(label: "lith") { _ in handler }
    }

    @Test func metadataIsNotFormattedForLinesBelowTheLevel() {
        // Given a logger at `error` with a request ID attached, as Hummingbird does per request
        let lines = Lines()
        let requestID = CountingDescription()
        var logger = logger(lines, level: .error)
        logger[metadataKey: "hb.request.id"] = .stringConvertible(requestID)
        // When the request logs nothing at or above the level
        logger.info("page served")
        // Then nothing was written, and the ID was never turned into text
        #expect(lines.written.isEmpty)
        #expect(requestID.formatted == 0)
    }

    @Test func aWrittenLineCarriesTheLoggersAndTheCallsMetadata() {
        // Given a logger at `notice` with a request ID attached
        let lines = Lines()
        var logger = logger(lines, level: .notice)
        logger[metadataKey: "hb.request.id"] = .stringConvertible(CountingDescription())
        // When a line at the level is logged with metadata of its own
        logger.notice("refused request", metadata: ["reason": "missing or invalid CSRF token"])
        // Then the line has the message and both pieces of metadata
        let line = lines.written
        #expect(line.contains("notice lith:"))
        #expect(line.contains("hb.request.id=req-42"))
        #expect(line.contains("reason=missing or invalid CSRF token"))
        #expect(line.contains("refused request"))
    }

    @Test(arguments: ["\r\nFAKE-LOG-LINE", "\u{2028}FAKE-LOG-LINE", "\u{0B}\u{85}FAKE-LOG-LINE"])
    func aLineBreakFromARequestNeverSplitsALogLine(injected: String) {
        // Given a header value carrying a line break, logged unescaped by some library
        let lines = Lines()
        var logger = logger(lines, level: .info)
        logger[metadataKey: "content_type"] = .string("text/plain" + injected)
        // When a line is written with it in the metadata and in the message
        logger.info("refused a \("text/plain" + injected) body", metadata: ["path": .stringConvertible("/login" + injected)])
        // Then it is one line, and nothing in it can pass for a line of its own
        let written = lines.written
        #expect(written.split(whereSeparator: \.isNewline).count == 1, "\(written.debugDescription)")
        #expect(!written.unicodeScalars.contains { $0.value == 0x2028 || $0.value == 0x85 || $0.value == 0x0B })
        #expect(written.contains("FAKE-LOG-LINE"))
    }
}
