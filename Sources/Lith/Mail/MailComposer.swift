import Foundation

/// Renders a ``MailMessage`` as an RFC 5322 message: `Date` and `Message-ID`
/// headers, UTF-8 names and subjects as RFC 2047 encoded words, and a
/// `multipart/alternative` body with a plain-text and an HTML part, both
/// quoted-printable, so no line is longer than 76 characters whatever the
/// text (RFC 5322 allows 998; RFC 2045 asks for 76 in encoded bodies) and
/// the bytes on the wire are 7-bit ASCII.
public struct MailComposer: Sendable {
    public let from: MailFrom
    let clock: @Sendable () -> Date

    public init(from: MailFrom, clock: @escaping @Sendable () -> Date = Date.init) {
        self.from = from
        self.clock = clock
    }

    public func compose(_ message: MailMessage) -> OutgoingMail {
        let boundary = "lith-" + SecureRandom.bytes(12).hexString
        var lines: [String] = []
        lines.append("Date: " + Self.date(clock()))
        lines.append("From: " + Self.mailbox(from.name, from.address))
        lines.append("To: <\(message.to.value)>")
        lines.append(contentsOf: Self.header("Subject", Self.encodedWords(message.subject)))
        // Random, at the sender's domain (RFC 5322 §3.6.4): unique, and
        // stable across retries because the message is rendered once.
        lines.append("Message-ID: <\(SecureRandom.bytes(16).hexString)@\(Self.domain(of: from.address))>")
        lines.append("MIME-Version: 1.0")
        lines.append("Content-Type: multipart/alternative; boundary=\"\(boundary)\"")
        lines.append("")
        for (type, body) in [("text/plain", message.text), ("text/html", message.html)] {
            lines.append("--" + boundary)
            lines.append("Content-Type: \(type); charset=utf-8")
            lines.append("Content-Transfer-Encoding: quoted-printable")
            lines.append("")
            lines.append(Self.quotedPrintable(body))
        }
        lines.append("--\(boundary)--")
        return OutgoingMail(from: from.address, to: message.to, data: lines.joined(separator: "\r\n") + "\r\n")
    }

    // MARK: headers

    /// RFC 5322 §3.3: `Sat, 28 Nov 2026 09:05:00 +0000`.
    static func date(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .weekday], from: date)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ n: Int?) -> String { n.map { $0 < 10 ? "0\($0)" : "\($0)" } ?? "00" }
        return "\(days[(c.weekday ?? 1) - 1]), \(two(c.day)) \(months[(c.month ?? 1) - 1]) \(c.year ?? 1970) "
            + "\(two(c.hour)):\(two(c.minute)):\(two(c.second)) +0000"
    }

    /// `Name <address>`, the name quoted or encoded as needed.
    static func mailbox(_ name: String?, _ address: EmailAddress) -> String {
        guard let name, !name.isEmpty else { return "<\(address.value)>" }
        let words = encodedWords(name)
        if words.count == 1, words[0] == name {
            // Plain ASCII: quoted, so commas and dots in a name stay in the name.
            let escaped = name.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            return "\"\(escaped)\" <\(address.value)>"
        }
        return words.joined(separator: "\r\n ") + " <\(address.value)>"
    }

    /// `Name: first` and its continuation lines, folded (RFC 5322 §2.2.3).
    static func header(_ name: String, _ words: [String]) -> [String] {
        guard let first = words.first else { return ["\(name): "] }
        return ["\(name): \(first)"] + words.dropFirst().map { " " + $0 }
    }

    /// `text` as it may stand in a header: itself when it is printable
    /// ASCII short enough for one line; otherwise RFC 2047 encoded words
    /// (`=?utf-8?B?…?=`), each at most 75 characters and cut between
    /// characters, never inside one.
    static func encodedWords(_ text: String) -> [String] {
        let clean = String(String.UnicodeScalarView(text.unicodeScalars.filter { $0.properties.generalCategory != .control }))
        if clean.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }), clean.utf8.count <= 60, !clean.contains("=?") { return [clean] }
        var words: [String] = []
        var chunk: [UInt8] = []
        for character in clean {
            let bytes = Array(character.utf8)
            // 45 bytes → 60 base64 characters + 12 of framing = 72.
            if chunk.count + bytes.count > 45, !chunk.isEmpty {
                words.append("=?utf-8?B?" + Data(chunk).base64EncodedString() + "?=")
                chunk = []
            }
            chunk += bytes
        }
        if !chunk.isEmpty || words.isEmpty { words.append("=?utf-8?B?" + Data(chunk).base64EncodedString() + "?=") }
        return words
    }

    static func domain(of address: EmailAddress) -> String {
        address.value.split(separator: "@").last.map(String.init) ?? "localhost"
    }

    // MARK: body

    /// RFC 2045 §6.7 quoted-printable with CRLF line breaks: printable ASCII
    /// as is (but `=`), everything else as `=XX`, trailing white space
    /// encoded, lines cut with a soft break before 76 characters. A line's
    /// leading `.` is encoded too, so no SMTP server's dot handling can
    /// touch the text.
    static func quotedPrintable(_ text: String) -> String {
        let normalised = text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
        var out: [String] = []
        for line in normalised.split(separator: "\n", omittingEmptySubsequences: false) {
            let bytes = Array(line.utf8)
            var encoded: [String] = []
            for (index, byte) in bytes.enumerated() {
                let isLast = index == bytes.count - 1
                let literal =
                    (byte >= 33 && byte <= 126 && byte != UInt8(ascii: "="))
                    || ((byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t")) && !isLast)
                if index == 0, byte == UInt8(ascii: ".") {
                    encoded.append("=2E")
                } else if literal {
                    encoded.append(String(UnicodeScalar(byte)))
                } else {
                    encoded.append("=" + [byte].hexString.uppercased())
                }
            }
            var current = ""
            for piece in encoded {
                if current.utf8.count + piece.utf8.count > 75 {
                    out.append(current + "=")
                    current = ""
                }
                current += piece
            }
            out.append(current)
        }
        return out.joined(separator: "\r\n")
    }
}
