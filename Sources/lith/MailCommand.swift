import ArgumentParser
import Foundation
import Lith
import LithApp

struct MailCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mail",
        abstract: "Check the mail set-up and see what is queued.",
        subcommands: [MailTest.self, MailQueueCommand.self]
    )
}

struct MailTest: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Send a test message now, straight to the SMTP server (or the outbox folder), and say how it went.",
        discussion: "Exit status 0 when the server accepted it; 69 with the server's answer in one line when it didn't."
    )

    @Option(help: "Who gets the test message.") var to: String
    @OptionGroup var mail: MailOptions
    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        let environment = Environment.process
        let address: EmailAddress
        do { address = try EmailAddress(to) } catch { throw CLIError("--to: \(error.message)") }
        let settings = try mail.settings(environment)
        let mailer: any Mailer
        do { mailer = try settings.mailer(for: try database.location(environment)) } catch { throw CLIError("\(error)") }
        let composer = MailComposer(from: try settings.resolvedFrom(publicURL: nil))
        let message = MailMessage(
            to: address,
            subject: "Lith test message",
            text: "This is a test message from Lith. If you can read it, mail works.",
            html: "<p>This is a test message from Lith. If you can read it, mail works.</p>"
        )
        do {
            try await mailer.deliver(composer.compose(message))
        } catch {
            throw MailUnavailable(description: "the test message was not sent: \(error.reason)")
        }
        ConsoleContext.current.write("Sent a test message to \(address) through \(mailer.destination).\n")
    }
}

/// The mail server couldn't be reached or refused the message (exit 69).
struct MailUnavailable: Error, CustomStringConvertible {
    let description: String
}

struct MailQueueCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "queue",
        abstract: "List the outbox: queued, sent and failed mail, newest first, with the last error.",
        discussion: "Tab-separated: id, status, recipient, attempts, queued at, next attempt (queued mail), last error."
    )

    @Option(help: "At most this many messages.") var limit: Int = 50
    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        guard (1...100_000).contains(limit) else { throw CLIError("--limit must be between 1 and 100000, got \(limit)") }
        let entries = try await database.withStore(Environment.process, mustExist: true) { try await $0.outbox(limit: limit) }
        let console = ConsoleContext.current
        guard !entries.isEmpty else {
            console.write("The outbox is empty.\n")
            return
        }
        console.write("id\tstatus\tto\tattempts\tqueued\tnext attempt\tlast error\n")
        for entry in entries {
            let fields = [
                String(entry.id), entry.status.rawValue, entry.to, String(entry.attempts), entry.queuedAt.formatted(.iso8601),
                entry.status == .queued ? entry.nextAttemptAt.formatted(.iso8601) : "-", entry.lastError ?? "-",
            ]
            console.write(fields.map(\.logSafe).joined(separator: "\t") + "\n")
        }
    }
}
