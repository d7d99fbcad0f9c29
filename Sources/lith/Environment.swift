import Foundation

/// Settings from `LITH_*` environment variables: the fallback for every flag,
/// so a service manager can configure Lith without a command line.
struct Environment: Sendable {
    let values: [String: String]

    static var process: Environment { Environment(values: ProcessInfo.processInfo.environment) }

    subscript(name: String) -> String? {
        guard let value = values[name], !value.isEmpty else { return nil }
        return value
    }

    func bool(_ name: String) throws -> Bool? {
        guard let value = self[name]?.lowercased() else { return nil }
        switch value {
        case "1", "true", "yes", "on": return true
        case "0", "false", "no", "off": return false
        default: throw CLIError("\(name) must be true or false, got '\(value)'")
        }
    }

    func int(_ name: String) throws -> Int? {
        guard let value = self[name] else { return nil }
        guard let number = Int(value) else { throw CLIError("\(name) must be a whole number, got '\(value)'") }
        return number
    }
}

/// A mistake on the command line or in the environment: printed as one line,
/// exit status 64 (EX_USAGE).
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
