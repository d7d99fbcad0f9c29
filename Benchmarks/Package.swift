// swift-tools-version:6.1
// Lith's micro-benchmarks, a package of their own so that the root package
// (and CI's `swift test`) never resolves or compiles the benchmark library.
import PackageDescription

let package = Package(
    name: "LithBenchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        // Named, so `package: "lith"` holds whatever the checkout's folder is called.
        .package(name: "lith", path: ".."),
        // MallocInterposer alone: the default RuntimeInterposer trait needs
        // ordo-one/swift-runtime-interposer, which only the ARC metrics use
        // (and which isn't in this project's package mirror).
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
        // Lith builds these already: postgres-nio and swift-nio-ssl for the
        // admin connection that makes and drops the PostgreSQL benchmark's
        // schema, swift-crypto for a CSRF key, swift-log to quiet the stores.
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        // The benchmark plugin finds suites as executable targets in a folder
        // named `Benchmarks`; this package's root is that folder.
        .executableTarget(
            name: "LithBenchmarks",
            dependencies: [
                .product(name: "Lith", package: "lith"),
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "LithBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
