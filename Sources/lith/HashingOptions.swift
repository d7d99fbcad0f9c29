import ArgumentParser
import Lith

/// How expensive password hashes are.
struct HashingOptions: ParsableArguments {
    @Option(
        name: .long,
        help:
            "scrypt cost for new hashes, as ln=17,r=8,p=1 (OWASP's, the default); at least ln=14,r=8,p=1's work, what the benchmarks use. (env: LITH_SCRYPT)"
    )
    var scrypt: String?

    /// Test suites' escape from the floor: their thousands of hashes would
    /// take minutes at a real cost. Not for anything that holds real passwords.
    @Flag(name: .customLong("allow-weak-scrypt-for-tests"), help: .hidden)
    var allowWeakScrypt = false

    func scrypt(_ environment: Environment) throws -> ScryptParameters {
        guard let text = scrypt ?? environment["LITH_SCRYPT"] else { return .owasp }
        let parameters: ScryptParameters
        do {
            parameters = try ScryptParameters(parsing: text)
        } catch {
            throw CLIError("--scrypt: \(error.description)")
        }
        guard parameters.meetsFloor || allowWeakScrypt else {
            throw CLIError("--scrypt: \(parameters) is too cheap to slow down password guessing; use at least \(ScryptParameters.floor)")
        }
        return parameters
    }
}
