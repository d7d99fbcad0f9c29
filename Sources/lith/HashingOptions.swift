import ArgumentParser
import Lith

/// How expensive password hashes are.
struct HashingOptions: ParsableArguments {
    @Option(
        name: .long,
        help: "scrypt cost for new hashes, as ln=17,r=8,p=1 (OWASP's, the default). Benchmarks use ln=14,r=8,p=1. (env: LITH_SCRYPT)")
    var scrypt: String?

    func scrypt(_ environment: Environment) throws -> ScryptParameters {
        guard let text = scrypt ?? environment["LITH_SCRYPT"] else { return .owasp }
        do {
            return try ScryptParameters(parsing: text)
        } catch {
            throw CLIError("--scrypt: \(error.description)")
        }
    }
}
