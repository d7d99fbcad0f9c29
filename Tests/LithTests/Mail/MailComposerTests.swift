import Foundation
import LithTesting
import Testing

@testable import Lith

/// Messages as they go over the wire (RFC 5322, RFC 2045, RFC 2047).
@Suite("Mail composer")
struct MailComposerTests {
    static let composer = MailComposer(
        from: MailFrom(name: "Lith Ops", address: try! EmailAddress("no-reply@example.com")),
        clock: { Date(timeIntervalSince1970: 1_800_000_000) }
    )

    static func message(subject: String = "Reset your password", text: String = "Hello") throws -> MailMessage {
        MailMessage(to: try EmailAddress("ada@example.com"), subject: subject, text: text, html: "<p>\(text)</p>")
    }

    static func headers(_ mail: OutgoingMail) -> [String] {
        Array(mail.data.components(separatedBy: "\r\n\r\n").first?.components(separatedBy: "\r\n") ?? [])
    }

    @Test func aMessageHasTheHeadersMailProgramsNeed() throws {
        let mail = Self.composer.compose(try Self.message())
        let headers = Self.headers(mail)
        #expect(headers.contains("Date: Fri, 15 Jan 2027 08:00:00 +0000"))
        #expect(headers.contains("From: \"Lith Ops\" <no-reply@example.com>"))
        #expect(headers.contains("To: <ada@example.com>"))
        #expect(headers.contains("Subject: Reset your password"))
        #expect(headers.contains("MIME-Version: 1.0"))
        #expect(headers.contains { $0.hasPrefix("Message-ID: <") && $0.hasSuffix("@example.com>") })
        #expect(headers.contains { $0.hasPrefix("Content-Type: multipart/alternative; boundary=") })
        #expect(mail.from.value == "no-reply@example.com" && mail.to.value == "ada@example.com")
    }

    @Test func twoMessagesNeverShareAMessageID() throws {
        let ids = (0..<2).map { _ in Self.headers(Self.composer.compose(try! Self.message())).first { $0.hasPrefix("Message-ID:") } }
        #expect(ids[0] != nil && ids[0] != ids[1])
    }

    @Test func aUTF8SubjectIsEncodedWordsThatDecodeBack() throws {
        let subject = "Réinitialisez votre mot de passe — ça prend une minute, pas plus: 🔑🔑🔑"
        let mail = Self.composer.compose(try Self.message(subject: subject))
        let data = mail.data
        let start = try #require(data.range(of: "Subject: "))
        let end = try #require(data.range(of: "\r\nMessage-ID"))
        let folded = data[start.upperBound..<end.lowerBound].components(separatedBy: "\r\n ")
        // every encoded word is at most 75 characters and decodes to part of the subject
        #expect(folded.count > 1)
        #expect(folded.allSatisfy { $0.count <= 75 && $0.hasPrefix("=?utf-8?B?") && $0.hasSuffix("?=") })
        let decoded = folded.map { word in
            String(decoding: Data(base64Encoded: String(word.dropFirst(10).dropLast(2)))!, as: UTF8.self)
        }.joined()
        #expect(decoded == subject)
    }

    @Test func everyLineIsShortAndSevenBitWhateverTheText() throws {
        let text = String(repeating: "Ünïcödé and a very long line without any break at all ", count: 20) + "\n.leading dot\ntrailing space "
        let mail = Self.composer.compose(try Self.message(text: text))
        let lines = mail.data.components(separatedBy: "\r\n")
        #expect(lines.allSatisfy { $0.utf8.count <= 78 })
        #expect(mail.data.utf8.allSatisfy { $0 < 0x80 })
        // no body line starts with a dot an SMTP server would eat
        #expect(!lines.contains { $0.hasPrefix(".") })
        // and the text decodes back exactly
        #expect(mail.decodedText.contains(text.replacingOccurrences(of: "\n", with: "\r\n")))
    }

    @Test func aSenderNameIsParsedFromTheOption() throws {
        let from = try MailFrom(parsing: "Lith <No-Reply@Example.com>")
        #expect(from.name == "Lith")
        #expect(from.address.value == "no-reply@example.com")
        #expect(try MailFrom(parsing: "ops@example.com").name == nil)
        #expect(throws: EmailAddress.Problem.self) { try MailFrom(parsing: "Lith <not an address>") }
    }
}
