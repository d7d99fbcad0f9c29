import ArgumentParser
import Lith
import LithApp

/// `lith`: serve the app and administer its accounts.
public struct LithCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "lith",
        abstract: "Session authentication for Swift web servers, and a ready-to-run web app built on it.",
        discussion: """
            Every option can also be set with an environment variable (shown in each command's help); \
            a flag wins over the environment.
            """,
        version: LithVersion.current,
        subcommands: [Serve.self, Migrate.self, UserCommand.self, ThrottleCommand.self, AuditCommand.self, MailCommand.self, HashRate.self]
    )

    public init() {}

    /// Parses `arguments`, runs the command, and returns the exit status. Every
    /// mistake becomes one line on the console's error stream.
    public static func run(arguments: [String]) async -> Int32 {
        let console = ConsoleContext.current
        do {
            var command = try parseAsRoot(arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            return 0
        } catch let error as CLIError {
            console.writeError("lith: \(error.description)\n")
            return 64
        } catch let error as Pages.ResourcesMissing {
            console.writeError("lith: \(error.description)\n")
            return 70
        } catch let error as CommonPasswords.LoadError {
            console.writeError("lith: the list of common passwords: \(error.description)\n")
            return 70
        } catch let error as MailUnavailable {
            console.writeError("lith: \(error.description)\n")
            return 69
        } catch let error as ListenError {
            console.writeError("lith: \(error.description)\n")
            return 69
        } catch let error as DatabaseFile.Problem {
            console.writeError("lith: --database: \(error.description)\n")
            return 66
        } catch let error as DatabaseLocation.Problem {
            console.writeError("lith: --database: \(error.description)\n")
            return 64
        } catch let error as StoreError {
            console.writeError("lith: \(StoreMessages.describe(error))\n")
            return 69
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                // --help and --version are answers, not errors.
                console.write(fullMessage(for: error) + "\n")
                return 0
            }
            let message = message(for: error).split(separator: "\n").first.map(String.init) ?? "unknown error"
            console.writeError("lith: \(message) (see 'lith --help')\n")
            return code.rawValue
        }
    }
}

enum StoreMessages {
    static func describe(_ error: StoreError) -> String {
        switch error {
        case .unavailable(let reason): "database unavailable: \(reason)"
        case .failure(let reason): "database error: \(reason)"
        case .emailTaken: "an account with this email already exists"
        }
    }
}
