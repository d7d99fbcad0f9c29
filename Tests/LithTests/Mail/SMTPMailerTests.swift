import Foundation
@_spi(Testing) import LithTestSupport
import Testing

@testable import Lith

/// Lith's SMTP client against a real SMTP server (aiosmtpd) on loopback.
@Suite(
    "SMTP mailer",
    .serialized,  // one Python server at a time: the timing tests beside these need the CPU
    .enabled(if: SMTPTestServer.isAvailable || SMTPTestServer.isRequired, "needs python3 with aiosmtpd")
)
struct SMTPMailerTests {
    static let composer = MailComposer(from: MailFrom(name: "Lith", address: try! EmailAddress("no-reply@example.com")))

    static func message(to address: String = "ada@example.com", text: String = "Hello Ada") throws -> OutgoingMail {
        composer.compose(MailMessage(to: try EmailAddress(address), subject: "Réinitialiser", text: text, html: "<p>\(text)</p>"))
    }

    static func with(
        implicitTLS: Bool = false,
        _ body: (SMTPTestServer) async throws -> Void
    ) async throws {
        let server = try SMTPTestServer(implicitTLS: implicitTLS, user: "mailer", password: "s3cret word")
        defer { server.stop() }
        try await body(server)
    }

    static func mailer(_ url: String) throws -> SMTPMailer {
        try SMTPMailer(server: try SMTPServer(url: url))
    }

    @Test func aMessageGoesThroughSTARTTLSWithALogin() async throws {
        try await Self.with { server in
            let mail = try Self.message()
            try await Self.mailer("smtp://mailer:s3cret%20word@localhost:\(server.port)?cafile=\(server.caFile)").deliver(mail)
            // then the server has it, byte for byte, received over TLS
            #expect(server.messages().count == 1)
            #expect(server.messages().first?.replacingOccurrences(of: "\r\n", with: "\n") == mail.data.replacingOccurrences(of: "\r\n", with: "\n"))
            #expect(server.envelopes().first?["tls"] as? Bool == true)
            #expect(server.envelopes().first?["to"] as? [String] == ["ada@example.com"])
        }
    }

    @Test func aMessageGoesThroughImplicitTLS() async throws {
        try await Self.with(implicitTLS: true) { server in
            try await Self.mailer("smtps://mailer:s3cret%20word@localhost:\(server.port)?cafile=\(server.caFile)").deliver(try Self.message())
            #expect(server.messages().count == 1)
        }
    }

    @Test func linesStartingWithADotArriveIntact() async throws {
        try await Self.with { server in
            let raw = "Subject: dots\r\n\r\n.a line with a dot\r\n..two dots\r\n.\r\nend\r\n"
            let mail = OutgoingMail(from: try EmailAddress("no-reply@example.com"), to: try EmailAddress("ada@example.com"), data: raw)
            try await Self.mailer("smtp://mailer:s3cret%20word@localhost:\(server.port)?cafile=\(server.caFile)").deliver(mail)
            #expect(server.messages().first?.replacingOccurrences(of: "\r\n", with: "\n") == raw.replacingOccurrences(of: "\r\n", with: "\n"))
        }
    }

    @Test func aRefusedRecipientIsAPermanentFailure() async throws {
        try await Self.with { server in
            let mailer = try Self.mailer("smtp://mailer:s3cret%20word@localhost:\(server.port)?cafile=\(server.caFile)")
            let message = try Self.message(to: "refused@example.com")
            do {
                try await mailer.deliver(message)
                Issue.record("a refused recipient was accepted")
            } catch let error as MailFailure {
                #expect(error.isPermanent)
                #expect(error.reason.contains("550"))
            }
            #expect(server.messages().isEmpty)
        }
    }

    @Test func aWrongPasswordIsAPermanentFailure() async throws {
        try await Self.with { server in
            let mailer = try Self.mailer("smtp://mailer:wrong@localhost:\(server.port)?cafile=\(server.caFile)")
            let message = try Self.message()
            do {
                try await mailer.deliver(message)
                Issue.record("a wrong password was accepted")
            } catch let error as MailFailure {
                #expect(error.isPermanent)
                #expect(error.reason.contains("535"))
            }
        }
    }

    @Test func anUntrustedCertificateIsRefused() async throws {
        try await Self.with { server in
            // without the cafile, the throwaway certificate is no one's
            let mailer = try Self.mailer("smtp://mailer:s3cret%20word@localhost:\(server.port)")
            let message = try Self.message()
            do {
                try await mailer.deliver(message)
                Issue.record("an untrusted certificate was accepted")
            } catch let error as MailFailure {
                #expect(!error.isPermanent)
                #expect(error.reason.contains("TLS"))
            }
            #expect(server.messages().isEmpty)
        }
    }

    @Test func aServerThatIsDownIsATemporaryFailure() async throws {
        // a port nothing listens on
        let server = try SMTPTestServer(user: "mailer", password: "x")
        let port = server.port
        server.stop()
        let mailer = try Self.mailer("smtp://localhost:\(port)?starttls=off")
        let message = try Self.message()
        do {
            try await mailer.deliver(message)
            Issue.record("a closed port took the message")
        } catch {
            #expect(!error.isPermanent)
        }
    }
}
