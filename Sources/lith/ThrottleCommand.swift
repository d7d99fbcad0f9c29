import ArgumentParser
import Foundation
import Lith

struct ThrottleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "throttle",
        abstract: "See what login and signup throttling is holding back.",
        subcommands: [ListThrottled.self]
    )
}

struct ListThrottled: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the accounts and addresses that must wait now, longest wait first.",
        discussion: "Uses the default limits unless --throttle (or LITH_THROTTLE) says otherwise, as 'lith serve' would."
    )

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var accountSecurity: AccountSecurityOptions

    func run() async throws {
        let environment = Environment.process
        let policy = try accountSecurity.throttlePolicy(environment)
        let limited = try await database.withStore(environment, mustExist: true) { try await Throttle(store: $0, policy: policy).limitedNow() }
        let console = ConsoleContext.current
        guard !limited.isEmpty else {
            console.write("Nothing is throttled.\n")
            return
        }
        console.write("kind\taccount\taddress\tfailures\twait\n")
        for entry in limited {
            let key = entry.key
            console.write(
                "\(key.kind.rawValue)\t\(key.email.isEmpty ? "-" : key.email.logSafe)\t\(key.address.isEmpty ? "-" : key.address)\t\(entry.failures)\t\(entry.retryAfterSeconds)s\n"
            )
        }
    }
}
