import Benchmark
import Lith

/// scrypt at the benchmark cost (N=2^14, r=8, p=1; 16 MiB a hash): the
/// physical limit of logins and signups per second per core.
func registerPasswordBenchmarks() {
    // One thread: a sample is one hash, not a queue of them.
    let hasher = PasswordHasher(parameters: .benchmark, maximumConcurrentHashes: 1)
    // A hash takes tens of milliseconds: one warm-up, a few seconds of samples.
    let configuration = Benchmark.Configuration(warmupIterations: 1, maxDuration: .seconds(3), maxIterations: 200)

    Benchmark("scrypt hash (ln=14,r=8,p=1)", configuration: configuration) { benchmark, password in
        blackHole(try await hasher.hash(password))
    } setup: {
        try Password("correct horse battery staple")
    }

    Benchmark("scrypt verify (ln=14,r=8,p=1)", configuration: configuration) { (benchmark, fixture: (password: Password, hash: PasswordHash)) in
        guard try await hasher.verify(fixture.password, against: fixture.hash) else {
            benchmark.error("verify rejected the password it was hashed from")
            return
        }
    } setup: {
        let password = try Password("correct horse battery staple")
        return (password, try await hasher.hash(password))
    }
}
