import Foundation

/// A message Lith sends a person: who to, what about, and the same text
/// twice — plain for every mail program, simple HTML for the ones that show it.
public struct MailMessage: Sendable, Equatable {
    public let to: EmailAddress
    public let subject: String
    public let text: String
    public let html: String

    public init(to: EmailAddress, subject: String, text: String, html: String) {
        self.to = to
        self.subject = subject
        self.text = text
        self.html = html
    }
}

/// The sender of Lith's mail: an address and an optional display name
/// (`--mail-from 'Lith <no-reply@example.com>'`).
public struct MailFrom: Sendable, Equatable, CustomStringConvertible {
    public let name: String?
    public let address: EmailAddress

    public init(name: String? = nil, address: EmailAddress) {
        self.name = name.flatMap { $0.isEmpty ? nil : $0 }
        self.address = address
    }

    /// `no-reply@example.com` or `Lith <no-reply@example.com>`.
    public init(parsing text: String) throws(EmailAddress.Problem) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let open = trimmed.lastIndex(of: "<"), trimmed.hasSuffix(">") {
            let name = trimmed[..<open].trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            let address = String(trimmed[trimmed.index(after: open)..<trimmed.index(before: trimmed.endIndex)])
            self.init(name: name, address: try EmailAddress(address))
        } else {
            self.init(address: try EmailAddress(trimmed))
        }
    }

    public var description: String { name.map { "\($0) <\(address.value)>" } ?? address.value }
}

/// A message as it goes over the wire: the envelope (who the server hands
/// it to) and the RFC 5322 bytes, rendered once when it is queued so that a
/// retry sends exactly the same message, `Message-ID` included.
public struct OutgoingMail: Sendable, Equatable {
    public let from: EmailAddress
    public let to: EmailAddress
    /// CRLF line endings, every line at most 78 characters.
    public let data: String

    public init(from: EmailAddress, to: EmailAddress, data: String) {
        self.from = from
        self.to = to
        self.data = data
    }
}
