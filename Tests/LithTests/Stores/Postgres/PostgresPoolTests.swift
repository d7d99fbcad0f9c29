@_spi(Testing) import LithTestSupport
import Logging
import NIOConcurrencyHelpers
import PostgresNIO
import Testing

@testable import Lith

/// Lith's pool of PostgreSQL connections (``PostgresPool``), against the
/// test server: how many connections it opens, which ones it hands on, and
/// what it does when the server ends one.
@Suite(
    "PostgreSQL connection pool",
    .enabled(if: PostgresTestDatabase.url != nil || PostgresTestDatabase.isCI),
    .timeLimit(.minutes(1))
)
struct PostgresPoolTests {
    let url: String
    let logger = Logger(label: "lith-test-pool")

    init() throws {
        guard let url = PostgresTestDatabase.url else { throw StoreError.unavailable("LITH_TEST_POSTGRES_URL is not set") }
        self.url = url
    }

    func pool(size: Int) throws -> PostgresPool {
        let location = try PostgresLocation(url: url)
        let configuration = PostgresConnection.Configuration(
            host: location.host,
            port: location.port,
            username: location.username,
            password: location.password,
            database: location.database,
            tls: try location.connectionTLS()
        )
        return PostgresPool(size: size) { [logger] id in
            try await PostgresConnection.connect(configuration: configuration, id: id, logger: logger)
        }
    }

    /// The server process behind a connection: the same number means the same connection.
    static func backend(_ connection: PostgresConnection) async throws -> Int32 {
        for try await pid in try await connection.query("SELECT pg_backend_pid()").decode(Int32.self) { return pid }
        throw StoreError.failure("no backend pid")
    }

    struct NotSQL: Error {}

    /// A call holding a connection until `release` is called; it returns the connection's backend.
    static func holdTheOnlyConnection(of pool: PostgresPool) -> (Task<Int32, any Error>, release: @Sendable () -> Void) {
        let released = NIOLockedValueBox(false)
        let holder = Task {
            try await pool.withConnection { connection in
                while !released.withLockedValue({ $0 }) { try await Task.sleep(for: .milliseconds(5)) }
                return try await Self.backend(connection)
            }
        }
        return (holder, { released.withLockedValue { $0 = true } })
    }

    @Test func noMoreCallsHoldAConnectionAtOnceThanThePoolHas() async throws {
        // given a pool of two
        let pool = try pool(size: 2)
        let inUse = NIOLockedValueBox((now: 0, most: 0))
        // when eight calls come at once, each holding its connection 50 ms
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    try await pool.withConnection { connection in
                        inUse.withLockedValue {
                            $0.now += 1
                            $0.most = max($0.most, $0.now)
                        }
                        try await connection.query("SELECT pg_sleep(0.05)")
                        inUse.withLockedValue { $0.now -= 1 }
                    }
                }
            }
            try await group.waitForAll()
        }
        // then all eight were answered, never more than two at a time, on two connections
        #expect(inUse.withLockedValue { $0.most } == 2)
        #expect(pool.openCount == 2)
        await pool.close()
    }

    @Test func aConnectionGoesBackToThePoolAndServesTheNextCall() async throws {
        let pool = try pool(size: 4)
        let first = try await pool.withConnection(Self.backend)
        let second = try await pool.withConnection(Self.backend)
        #expect(first == second)
        #expect(pool.openCount == 1)
        await pool.close()
    }

    @Test func anSQLErrorLeavesTheConnectionInThePool() async throws {
        // given a call whose SQL the server rejects
        let pool = try pool(size: 1)
        let first = try await pool.withConnection(Self.backend)
        await #expect(throws: PSQLError.self) {
            try await pool.withConnection { connection in try await connection.query("SELECT * FROM no_such_table") }
        }
        // then the next call runs on the same connection
        #expect(try await pool.withConnection(Self.backend) == first)
        await pool.close()
    }

    @Test func aCallThatFailsOtherwiseClosesItsConnectionInsteadOfHandingItOn() async throws {
        // given a call that fails in a way that may leave its connection mid-query
        // (a timeout, a reset, a cancelled query)
        let pool = try pool(size: 1)
        let first = NIOLockedValueBox<Int32?>(nil)
        await #expect(throws: NotSQL.self) {
            try await pool.withConnection { connection in
                let pid = try await Self.backend(connection)
                first.withLockedValue { $0 = pid }
                throw NotSQL()
            }
        }
        // then the next call gets a fresh connection, and the pool still holds one at most
        let next = try await pool.withConnection(Self.backend)
        #expect(next != first.withLockedValue { $0 })
        #expect(pool.openCount == 1)
        await pool.close()
    }

    @Test func connectionsTheServerEndedAreReplacedByTheNextCalls() async throws {
        // given a pool with four open connections
        let pool = try pool(size: 4)
        let gate = NIOLockedValueBox(0)
        let pids = try await withThrowingTaskGroup(of: Int32.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    try await pool.withConnection { connection in
                        gate.withLockedValue { $0 += 1 }
                        while gate.withLockedValue({ $0 }) < 4 { try await Task.sleep(for: .milliseconds(5)) }
                        return try await Self.backend(connection)
                    }
                }
            }
            return try await group.reduce(into: Set<Int32>()) { $0.insert($1) }
        }
        #expect(pids.count == 4)
        // when the server ends all of them (a restart, a failover) while they sit idle
        try await PostgresTestDatabase.admin(
            url,
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid IN (\(pids.map(String.init).joined(separator: ",")))"
        )
        try await Task.sleep(for: .milliseconds(300))
        // then sixteen calls at once are all answered, on new connections, four at most
        let after = try await withThrowingTaskGroup(of: Int32.self) { group in
            for _ in 0..<16 { group.addTask { try await pool.withConnection(Self.backend) } }
            return try await group.reduce(into: Set<Int32>()) { $0.insert($1) }
        }
        #expect(after.isDisjoint(with: pids))
        #expect(after.count <= 4)
        #expect(pool.openCount <= 4)
        await pool.close()
    }

    @Test func aWaitingCallThatIsCancelledLeavesTheQueue() async throws {
        // given a pool of one, its connection held, and a call waiting for it
        let pool = try pool(size: 1)
        let (holder, release) = Self.holdTheOnlyConnection(of: pool)
        try await Task.sleep(for: .milliseconds(100))
        let waiting = Task { try await pool.withConnection(Self.backend) }
        try await Task.sleep(for: .milliseconds(100))
        // when the waiting call is cancelled
        waiting.cancel()
        await #expect(throws: CancellationError.self) { try await waiting.value }
        // then the connection, once free, serves the next call
        release()
        let held = try await holder.value
        #expect(try await pool.withConnection(Self.backend) == held)
        await pool.close()
    }

    @Test func theSessionLookupsBatchIsServedBeforeCallsWaitingInOrder() async throws {
        // given a pool of one, its connection held, and three calls waiting in order
        let pool = try pool(size: 1)
        let (holder, release) = Self.holdTheOnlyConnection(of: pool)
        let served = NIOLockedValueBox<[String]>([])
        func call(_ name: String, turn: PostgresPool.Turn) -> Task<Void, any Error> {
            Task { try await pool.withConnection(turn: turn) { _ in served.withLockedValue { $0.append(name) } } }
        }
        var calls: [Task<Void, any Error>] = []
        for n in 1...3 {
            calls.append(call("in order \(n)", turn: .inOrder))
            while pool.waitingCount < n { try await Task.sleep(for: .milliseconds(5)) }
        }
        // when the session lookups' batch asks for a connection
        calls.append(call("lookups", turn: .first))
        while pool.waitingCount < 4 { try await Task.sleep(for: .milliseconds(5)) }
        release()
        _ = try await holder.value
        for call in calls { try await call.value }
        // then it gets the connection next, and the others keep their order
        #expect(served.withLockedValue { $0 } == ["lookups", "in order 1", "in order 2", "in order 3"])
        await pool.close()
    }

    @Test func closingFailsWaitingCallsAndClosesEveryConnection() async throws {
        let pool = try pool(size: 1)
        let (holder, release) = Self.holdTheOnlyConnection(of: pool)
        try await Task.sleep(for: .milliseconds(100))
        let waiting = Task { try await pool.withConnection(Self.backend) }
        try await Task.sleep(for: .milliseconds(100))
        await pool.close()
        await #expect(throws: StoreError.self) { try await waiting.value }
        release()
        _ = try await holder.value
        #expect(pool.openCount == 0)
        await #expect(throws: StoreError.self) { try await pool.withConnection(Self.backend) }
    }

    @Test func aCallCancelledWhileItsQueryHangsGivesItsSlotUpAtOnce() async throws {
        // given a pool of one whose call hangs (the server sleeps; a query
        // written to a dead connection would never answer at all)
        let pool = try pool(size: 1)
        let started = NIOLockedValueBox(false)
        let hung = Task {
            try await pool.withConnection { connection in
                started.withLockedValue { $0 = true }
                try await connection.query("SELECT pg_sleep(30)")
            }
        }
        while !started.withLockedValue({ $0 }) { try await Task.sleep(for: .milliseconds(5)) }
        // when it is cancelled, as a deadline does
        hung.cancel()
        // then the next call is answered at once, on another connection
        let clock = ContinuousClock()
        let elapsed = try await clock.measure { _ = try await pool.withConnection(Self.backend) }
        #expect(elapsed < .seconds(5))
        _ = await hung.result
        await pool.close()
    }
}
