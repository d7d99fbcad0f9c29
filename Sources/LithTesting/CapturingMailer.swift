import Foundation
import Lith
import NIOConcurrencyHelpers

/// A ``Mailer`` for an app's tests: keeps every message it is handed, so a
/// test can read the mail a flow sent and follow its link.
///
/// ```swift
/// let mailer = CapturingMailer()
/// let app = try await LithApp.build(configuration: configuration, mailer: mailer)
/// … // ask for a reset link, then run the outbox once:
/// let link = try #require(mailer.messages.last?.links.first)
/// ```
public final class CapturingMailer: Mailer {
    private let captured = NIOLockedValueBox<[OutgoingMail]>([])
    /// Recipients whose mail is refused for good, like a server answering 550.
    private let refused = NIOLockedValueBox<Set<String>>([])

    public init() {}

    public var destination: String { "a test's capture" }

    public func deliver(_ mail: OutgoingMail) async throws(MailFailure) {
        if refused.withLockedValue({ $0.contains(mail.to.value) }) {
            throw MailFailure(permanent: true, "RCPT TO:<\(mail.to.value)>: the server said 550 no such user")
        }
        captured.withLockedValue { $0.append(mail) }
    }

    /// Every message delivered so far, oldest first.
    public var messages: [OutgoingMail] { captured.withLockedValue { $0 } }

    /// Makes mail to `address` fail permanently from now on.
    public func refuse(_ address: String) { refused.withLockedValue { $0.insert(address.lowercased()) } }
}

extension OutgoingMail {
    /// The message's text parts, quoted-printable decoded.
    public var decodedText: String {
        var bytes: [UInt8] = []
        let data = Array(self.data.utf8)
        var index = 0
        while index < data.count {
            let byte = data[index]
            if byte == UInt8(ascii: "="), index + 2 < data.count {
                if data[index + 1] == UInt8(ascii: "\r"), data[index + 2] == UInt8(ascii: "\n") {
                    index += 3  // soft line break
                    continue
                }
                if let value = UInt8(String(decoding: data[(index + 1)...(index + 2)], as: UTF8.self), radix: 16) {
                    bytes.append(value)
                    index += 3
                    continue
                }
            }
            bytes.append(byte)
            index += 1
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The `http(s)://…` links in the message's text.
    public var links: [String] {
        let text = decodedText
        var found: [String] = []
        var rest = text[...]
        while let start = rest.range(of: "http") {
            let candidate = rest[start.lowerBound...].prefix { !$0.isWhitespace && $0 != "\"" && $0 != "<" && $0 != ">" }
            if candidate.hasPrefix("http://") || candidate.hasPrefix("https://") { found.append(String(candidate)) }
            rest = rest[candidate.endIndex...]
        }
        var seen = Set<String>()
        return found.filter { seen.insert($0).inserted }
    }
}
