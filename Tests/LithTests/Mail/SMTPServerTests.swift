import Testing

@testable import Lith

/// `--smtp-url`: what Lith sends through, and what it refuses to.
@Suite("SMTP server URL")
struct SMTPServerTests {
    @Test func smtpMeansSTARTTLSRequiredOnPort587() throws {
        let server = try SMTPServer(url: "smtp://mailer:s3cret@mail.example.com")
        #expect(server.security == .startTLS)
        #expect(server.port == 587)
        #expect(server.username == "mailer")
        #expect(server.password == "s3cret")
    }

    @Test func smtpsMeansTLSFromTheStartOnPort465() throws {
        let server = try SMTPServer(url: "smtps://mail.example.com?cafile=/etc/ssl/ca.pem")
        #expect(server.security == .implicitTLS)
        #expect(server.port == 465)
        #expect(server.caFile == "/etc/ssl/ca.pem")
    }

    @Test func thePasswordNeverPrints() throws {
        let server = try SMTPServer(url: "smtp://mailer:s3cret@mail.example.com:2525")
        #expect(server.description == "smtp://mailer@mail.example.com:2525")
        #expect(!"\(server)".contains("s3cret"))
    }

    @Test func noTLSOnlyToThisMachineAndNeverWithAPassword() throws {
        #expect(try SMTPServer(url: "smtp://localhost:25?starttls=off").security == .none)
        #expect(throws: SMTPServer.Problem.self) { try SMTPServer(url: "smtp://mail.example.com:25?starttls=off") }
        #expect(throws: SMTPServer.Problem.self) { try SMTPServer(url: "smtp://user:pw@localhost:25?starttls=off") }
    }

    @Test(arguments: ["http://mail.example.com", "smtp://", "mail.example.com", "smtp://mail.example.com?tls=maybe", "smtp://h.example.com:0"])
    func anythingElseIsOneReadableLine(url: String) {
        #expect(throws: SMTPServer.Problem.self) { try SMTPServer(url: url) }
        do {
            _ = try SMTPServer(url: url)
        } catch {
            #expect(!error.description.contains("\n"))
        }
    }
}
