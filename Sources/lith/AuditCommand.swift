import ArgumentParser
import Foundation
import Lith

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Print the security log: sign-ins, failures, throttling, password changes, deletions.",
        discussion: "Oldest first. With --json, one JSON object a line with time, event, user_id, email, ip, browser, session_id."
    )

    @Option(help: "Only events about this email address.") var email: String?
    @Option(help: "Only events this recent, e.g. 24h, 7d.") var since: String?
    @Option(help: "At most this many events (the latest ones).") var limit: Int = 1000
    @Flag(help: "One JSON object per line.") var json = false
    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        var address: EmailAddress?
        if let email {
            do { address = try EmailAddress(email) } catch { throw CLIError("--email: \(error.message)") }
        }
        let cutoff = try since.map { Date().addingTimeInterval(-(try DurationText.parse($0, name: "--since"))) }
        guard (1...1_000_000).contains(limit) else { throw CLIError("--limit must be between 1 and 1000000, got \(limit)") }
        let events = try await database.withStore(Environment.process, mustExist: true) {
            try await $0.events(email: address, since: cutoff, limit: limit)
        }
        let console = ConsoleContext.current
        if json {
            for event in events { console.write(Self.json(event) + "\n") }
            return
        }
        guard !events.isEmpty else {
            console.write("No events.\n")
            return
        }
        for event in events {
            let fields = [
                event.at.formatted(.iso8601), event.kind.rawValue, event.userID.map(String.init) ?? "-", event.email?.value ?? "-",
                event.address ?? "-", event.browser ?? "-", event.sessionID?.value ?? "-",
            ]
            console.write(fields.map(\.logSafe).joined(separator: "\t") + "\n")
        }
    }

    /// The contract's fields, in a fixed order, nulls spelled out.
    static func json(_ event: SecurityEvent) -> String {
        let object: [(String, Any?)] = [
            ("time", event.at.formatted(.iso8601)), ("event", event.kind.rawValue), ("user_id", event.userID),
            ("email", event.email?.value), ("ip", event.address), ("browser", event.browser), ("session_id", event.sessionID?.value),
        ]
        return "{" + object.map { key, value in "\"\(key)\":\(encode(value))" }.joined(separator: ",") + "}"
    }

    private static func encode(_ value: Any?) -> String {
        switch value {
        case let number as Int64: return String(number)
        case let text as String:
            let data = try? JSONSerialization.data(withJSONObject: [text], options: [.withoutEscapingSlashes])
            return data.flatMap { String(data: $0, encoding: .utf8) }.map { String($0.dropFirst().dropLast()) } ?? "null"
        default: return "null"
        }
    }
}
