import Benchmark

/// Lith's hot paths, each timed apart from HTTP: what a login costs (scrypt),
/// and what every signed-in request does (parse the cookie, digest it, look
/// the session up, check CSRF, render the page, parse a form).
///
/// Run with `swift package benchmark` in this folder; see README.md.
let benchmarks: @Sendable () -> Void = {
    // Short runs: the whole suite takes about a minute on 2 cores, and the
    // micro-benchmarks loop a thousand times inside each sample (`.kilo`) so
    // the clock's own cost doesn't dominate.
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        warmupIterations: 3,
        maxDuration: .seconds(2),
        maxIterations: 10_000
    )

    registerPasswordBenchmarks()
    registerSessionTokenBenchmarks()
    registerSessionLookupBenchmarks()
    registerCSRFBenchmarks()
    registerDashboardBenchmarks()
    registerFormBenchmarks()
}

/// Micro-benchmarks of work that takes about a microsecond: a thousand
/// operations per sample, reported per operation. Read after the suite's
/// defaults are set, so it only changes the scaling.
var perThousand: Benchmark.Configuration { .init(scalingFactor: .kilo) }
