import ArgumentParser
import Foundation
import Lith
import NIOCore

/// `lith hash-rate`: how many password hashes this machine makes per second
/// on all cores, with the same code and parameters `lith serve` uses. It is the
/// physical bound on logins per second, which the benchmarks compare against.
struct HashRate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hash-rate",
        abstract: "Measure scrypt hashes per second on all cores (for benchmarks)."
    )

    @OptionGroup var hashing: HashingOptions
    @Option(help: "How long to measure, in seconds.") var seconds: Double = 5
    @Option(help: "Hashes at once. (default: number of cores)") var concurrency: Int = System.coreCount

    func run() async throws {
        guard seconds > 0, seconds <= 600 else { throw CLIError("--seconds must be between 0 and 600") }
        guard (1...256).contains(concurrency) else { throw CLIError("--concurrency must be between 1 and 256") }
        let parameters = try hashing.scrypt(Environment.process)
        let hasher = PasswordHasher(parameters: parameters, maximumConcurrentHashes: concurrency)
        let password = try Password("benchmark password")
        let start = ContinuousClock.now
        let deadline = start + .milliseconds(Int(seconds * 1000))
        let count = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<concurrency {
                group.addTask {
                    var done = 0
                    repeat {  // at least one, however late the task starts
                        _ = try await hasher.hash(password)
                        done += 1
                    } while ContinuousClock.now < deadline
                    return done
                }
            }
            return try await group.reduce(0, +)
        }
        let elapsed = ContinuousClock.now - start
        let rate = Double(count) / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
        ConsoleContext.current.write(
            "{\"scrypt\": \"\(parameters)\", \"concurrency\": \(concurrency), \"hashes\": \(count), \"hashes_per_second\": \(String(format: "%.1f", rate))}\n"
        )
    }
}
