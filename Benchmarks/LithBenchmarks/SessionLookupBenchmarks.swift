import Benchmark
import Foundation
import Lith
import Logging

/// The one database read of every signed-in request: a session and its user by
/// the token's digest, with `SessionTable.rowCount` sessions in the table.
func registerSessionLookupBenchmarks() {
    let postgresURL = PostgresSchema.url
    // Said by the SQLite lookup's setup, so it is one line per run: the runner
    // starts a process to list the benchmarks and one more for each of them.
    let skipNote =
        postgresURL == nil
        ? "session lookup, PostgreSQL: skipped, \(PostgresSchema.urlVariable) is not set (scripts/postgres.sh start prints a URL)"
        : nil

    registerLookup("session lookup, SQLite (1,000 sessions)") {
        if let skipNote { FileHandle.standardError.write(Data((skipNote + "\n").utf8)) }
        let file = FileManager.default.temporaryDirectory
            .appendingPathComponent("lith-bench-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString).sqlite").path
        let store = try await SQLiteStore.open(path: file, logger: quietLogger("lith.sqlite"))
        try await store.migrate()
        return (
            store,
            {
                try? await store.close()
                for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: file + suffix) }
            }
        )
    }

    guard let postgresURL else { return }
    registerLookup("session lookup, PostgreSQL (1,000 sessions)") {
        try await PostgresSchema.freshStore(url: postgresURL)
    }
}

/// Registers a lookup benchmark on a store `open` makes: filled in setup,
/// closed and thrown away in teardown.
private func registerLookup(_ name: String, open: @escaping () async throws -> (any Store, () async -> Void)) {
    let slot = Slot<SessionTable>()
    Benchmark(name) { benchmark in
        guard let table = slot.value else {
            benchmark.error("setup made no session table")
            return
        }
        for _ in benchmark.scaledIterations {
            guard let found = try await table.store.session(digest: table.nextDigest()) else {
                benchmark.error("a session that was inserted wasn't found")
                return
            }
            blackHole(found)
        }
    } setup: {
        let (store, dispose) = try await open()
        slot.value = try await SessionTable.fill(store, dispose: dispose)
    } teardown: {
        await slot.value?.dispose()
        slot.value = nil
    }
}

/// A migrated store with one user and `rowCount` live sessions of theirs, and
/// the digests to look them up by, in random order.
final class SessionTable {
    /// The size the issue asks for: a small site's worth of signed-in browsers.
    static let rowCount = 1_000

    let store: any Store
    let dispose: () async -> Void
    private let digests: [SessionToken.Digest]
    private var cursor = 0

    private init(store: any Store, digests: [SessionToken.Digest], dispose: @escaping () async -> Void) {
        self.store = store
        self.digests = digests
        self.dispose = dispose
    }

    static func fill(_ store: any Store, dispose: @escaping () async -> Void) async throws -> SessionTable {
        do {
            let now = Date()
            // The cheapest cost: this hash is only stored, never checked.
            let hash = try await PasswordHasher(parameters: .testsOnly, maximumConcurrentHashes: 1)
                .hash(Password("correct horse battery staple"))
            let user = try await store.insertUser(email: EmailAddress("bench@example.com"), passwordHash: hash, at: now)
            var digests: [SessionToken.Digest] = []
            for _ in 0..<rowCount {
                let digest = SessionToken.generate().digest
                try await store.insertSession(
                    SessionRecord(
                        id: SessionID.generate(),
                        tokenDigest: digest,
                        userID: user.id,
                        createdAt: now,
                        lastSeenAt: now,
                        expiresAt: now.addingTimeInterval(30 * 86_400),
                        idleTimeout: 86_400,
                        rememberMe: false,
                        userAgent: "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
                        ipAddress: "192.0.2.10"
                    )
                )
                digests.append(digest)
            }
            return SessionTable(store: store, digests: digests.shuffled(), dispose: dispose)
        } catch {
            await dispose()
            throw error
        }
    }

    /// The next session to look up, round the table.
    func nextDigest() -> SessionToken.Digest {
        defer { cursor = (cursor + 1) % digests.count }
        return digests[cursor]
    }
}

/// The stores log each migration at info; the benchmark's table has no room for that.
func quietLogger(_ label: String) -> Logger {
    var logger = Logger(label: label)
    logger.logLevel = .warning
    return logger
}

/// State a benchmark's setup makes and its teardown takes down again (the
/// framework hands setup's result to the benchmark but not to the teardown).
final class Slot<Value> {
    var value: Value?
}
