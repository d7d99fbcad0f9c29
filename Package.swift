// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "lith",
    platforms: [.macOS(.v14)],
    products: [
        // Session authentication for Hummingbird apps: `import Lith`.
        .library(name: "Lith", targets: ["Lith"]),
        // The ready-to-run web app built on it (pages, templates, stylesheet).
        .library(name: "LithApp", targets: ["LithApp"]),
        // A browser-like client for testing apps built on Lith.
        .library(name: "LithTesting", targets: ["LithTesting"]),
        // The app and its admin commands.
        .executable(name: "lith", targets: ["LithCLI"]),
        // The benchmarks' bare Hummingbird route.
        .executable(name: "lith-ceiling", targets: ["LithCeiling"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        // Exact: Lith's SQLite reader calls the SQLite that sqlite-nio bundles
        // (its C module and symbol prefix), internals a new version may change.
        // Package.resolved can't pin it here: the mirror's commit ids differ
        // per machine, so it stays out of git.
        .package(url: "https://github.com/vapor/sqlite-nio", exact: "1.13.2"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        // A C shim for the one SQLite call Swift can't make (variadic).
        .target(name: "CLithSQLite"),
        // And one for the allocator setting `lith` makes at start-up (mallopt).
        .target(name: "CLithMalloc"),
        // zlib's inflate for the common-password list: Foundation on Linux has no gzip.
        .target(name: "CLithZlib", linkerSettings: [.linkedLibrary("z")]),
        .target(
            name: "Lith",
            dependencies: [
                "CLithSQLite",
                "CLithZlib",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            // The list of common passwords new passwords are checked against.
            resources: [.copy("Resources")]
        ),
        .target(
            name: "LithApp",
            dependencies: [
                "Lith",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            resources: [.copy("Templates"), .copy("Assets")]
        ),
        .target(
            name: "LithTesting",
            dependencies: [
                "Lith",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "LithCLI",
            dependencies: [
                "Lith",
                "LithApp",
                "CLithMalloc",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Sources/lith"
        ),
        .executableTarget(
            name: "LithCeiling",
            dependencies: ["Lith", .product(name: "Hummingbird", package: "hummingbird"), .product(name: "Logging", package: "swift-log")]
        ),
        // What the test suites share: a test app, temporary stores of both
        // kinds, raw sockets, fixtures.
        .target(
            name: "LithTestSupport",
            dependencies: [
                "Lith",
                "LithApp",
                "LithTesting",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            path: "Tests/Support",
            resources: [.copy("Fixtures")]
        ),
        // The library's tests, in folders mirroring Sources/Lith.
        .testTarget(
            name: "LithTests",
            dependencies: [
                "Lith",
                "LithApp",
                "LithTesting",
                "LithTestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
            ]
        ),
        // The web app's tests, mirroring Sources/LithApp.
        .testTarget(
            name: "LithAppTests",
            dependencies: [
                "Lith",
                "LithApp",
                "LithTesting",
                "LithTestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Mustache", package: "swift-mustache"),
            ]
        ),
        // The command line's tests, mirroring Sources/lith.
        .testTarget(
            name: "LithCLITests",
            dependencies: [
                "Lith",
                "LithApp",
                "LithCLI",
                "LithTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
    ]
)
