import ArgumentParser
import Foundation
import Lith
import LithApp

/// Where mail goes: an SMTP server, or a folder of `.eml` files.
struct MailOptions: ParsableArguments {
    @Option(
        help: """
            The SMTP server: smtp://user@host:587 (STARTTLS, required), smtps://user@host:465 (TLS), \
            smtp://localhost:25?starttls=off (a relay on this machine); ?cafile=PATH trusts a private CA. \
            (env: LITH_SMTP_URL; default: none, mail is written to --mail-outbox)
            """
    )
    var smtpURL: String?

    @Option(
        help: """
            A file whose first line is the SMTP password, kept out of the URL and the process list. \
            (env: LITH_SMTP_PASSWORD_FILE, or the password itself in LITH_SMTP_PASSWORD)
            """
    )
    var smtpPasswordFile: String?

    @Option(help: "Who mail is from, e.g. 'Lith <no-reply@example.com>'. (env: LITH_MAIL_FROM; default: no-reply at the public URL's host)")
    var mailFrom: String?

    @Option(
        help:
            "Without --smtp-url, the folder each message is written to as an .eml file. (env: LITH_MAIL_OUTBOX; default: mail-outbox beside the database)"
    )
    var mailOutbox: String?

    @Option(
        help: """
            Whether an account's address must be proved by a mailed link: off, optional (a banner asks until it is), \
            required (no sign-in until it is; signup then never says whether an address has an account). \
            (env: LITH_EMAIL_VERIFICATION; default: optional)
            """
    )
    var emailVerification: String?

    func settings(_ environment: Environment) throws -> MailSettings {
        var settings = MailSettings()
        if let text = smtpURL ?? environment["LITH_SMTP_URL"] {
            var server: SMTPServer
            do { server = try SMTPServer(url: text) } catch { throw CLIError(error.description) }
            if let password = try password(environment) {
                guard server.password == nil || server.password?.isEmpty == true else {
                    throw CLIError("--smtp-url has a password and --smtp-password-file gives another: keep one")
                }
                server.password = password
            }
            if server.username != nil, server.password == nil {
                throw CLIError("--smtp-url names a user but no password: add it to the URL or use --smtp-password-file")
            }
            settings.smtp = server
        }
        if let text = mailFrom ?? environment["LITH_MAIL_FROM"] {
            do { settings.from = try MailFrom(parsing: text) } catch { throw CLIError("--mail-from: \(error.message)") }
        }
        settings.outboxFolder = mailOutbox ?? environment["LITH_MAIL_OUTBOX"]
        if let text = emailVerification ?? environment["LITH_EMAIL_VERIFICATION"] {
            guard let mode = EmailVerificationMode(rawValue: text.lowercased()) else {
                throw CLIError("--email-verification must be off, optional or required, not '\(text)'")
            }
            settings.emailVerification = mode
        }
        return settings
    }

    private func password(_ environment: Environment) throws -> String? {
        if let path = smtpPasswordFile ?? environment["LITH_SMTP_PASSWORD_FILE"] {
            return try SecretFile.firstLine(of: path, flag: "--smtp-password-file")
        }
        return environment["LITH_SMTP_PASSWORD"]
    }
}
