import Logging
import NIOConcurrencyHelpers
import PostgresNIO

/// At most `size` PostgreSQL connections, opened when a call needs one and
/// dropped when they fail.
///
/// Lith's own instead of postgres-nio's `PostgresClient`, for two reasons
/// measured here. That pool (1.33.2) traps the process when PostgreSQL comes
/// back under load with a minimum number of connections set: while the
/// server is down it discards failed connections below its minimum, and its
/// next lease asserts the minimum holds (the fleet suite's "PostgreSQL
/// stopped under load" check crashed an instance on it). Without a minimum,
/// every lease arms an idle timer that holds memory until it would have
/// fired (docs/performance.md, Memory). This pool has no timers and no
/// background task: a lease takes an idle connection, or opens one while
/// fewer than `size` are open, or waits its turn: in order of arrival, but
/// the session lookups' batch (every signed-in page view waits on it) ahead
/// of the rest (``Turn``).
///
/// A connection whose call failed other than with an SQL error (a timeout,
/// a reset, a cancelled query) is closed rather than handed on, so a hung or
/// half-dead connection is never reused. While the server is down, each call
/// tries to connect and fails fast with a 503; the first call after it is
/// back gets a fresh connection. No reconnect loop runs on its own.
final class PostgresPool: Sendable {
    typealias Connect = @Sendable (_ id: Int) async throws -> PostgresConnection

    let size: Int
    private let connect: Connect
    private let state = NIOLockedValueBox(State())

    init(size: Int, connect: @escaping Connect) {
        self.size = max(1, size)
        self.connect = connect
    }

    /// Where a call waits when every connection is busy.
    enum Turn: Sendable {
        /// Behind every call that came before it.
        case inOrder
        /// Ahead of the calls waiting in order: for the one batch of session
        /// lookups that every signed-in page view waits on, so that when the
        /// connections are what calls wait for, a burst of other calls (a
        /// flood of throttled logins, each a counter read) doesn't queue in
        /// front of every page view. The batch holds one connection at a
        /// time, so the others still get every other one. (On the bench's two
        /// cores its flood is bound by CPU, not by connections, and this made
        /// no difference there that the run-to-run spread would show:
        /// docs/performance.md.)
        case first
    }

    /// Runs `body` with a connection of its own, which goes back to the pool
    /// (or is closed, if the failure may have left it unusable) afterwards.
    ///
    /// A cancelled call (its deadline passed) gives its slot up at once,
    /// closing the connection, without waiting for `body`: a query written to
    /// a connection that closed an instant before never answers (postgres-nio
    /// 1.33.2 drops the failed write), and a stuck call must not hold a slot
    /// for ever.
    func withConnection<T: Sendable>(turn: Turn = .inOrder, _ body: (PostgresConnection) async throws -> T) async throws -> T {
        let lease = Lease(pool: self, connection: try await lease(turn: turn))
        do {
            let result = try await withTaskCancellationHandler {
                try await body(lease.connection)
            } onCancel: {
                lease.end(reusable: false)
            }
            lease.end(reusable: true)
            return result
        } catch {
            lease.end(reusable: Self.leavesConnectionUsable(error))
            throw error
        }
    }

    /// A connection lent to one call, given back exactly once.
    private final class Lease: Sendable {
        let pool: PostgresPool
        let connection: PostgresConnection
        private let ended = NIOLockedValueBox(false)

        init(pool: PostgresPool, connection: PostgresConnection) {
            self.pool = pool
            self.connection = connection
        }

        func end(reusable: Bool) {
            let first = ended.withLockedValue { ended in
                defer { ended = true }
                return !ended
            }
            if first { pool.giveBack(connection, reusable: reusable) }
        }
    }

    /// Closes every idle connection and fails every waiting call; connections
    /// in use are closed when they come back.
    func close() async {
        let (idle, waiting) = state.withLockedValue { state in
            state.closed = true
            defer {
                state.open -= state.idle.count
                state.idle = []
                state.waiting = []
            }
            return (state.idle, state.waiting)
        }
        for waiter in waiting { waiter.continuation.resume(throwing: Self.closedError) }
        for connection in idle { try? await connection.close() }
    }

    /// Connections open or being opened (for tests).
    var openCount: Int { state.withLockedValue { $0.open } }

    /// Calls waiting for a connection (for tests).
    var waitingCount: Int { state.withLockedValue { $0.waiting.count } }

    // MARK: leasing

    private enum Grant {
        case connection(PostgresConnection)
        /// A slot is free: the call opens a connection of its own.
        case open
    }

    private struct Waiter {
        let id: Int
        let first: Bool
        let continuation: CheckedContinuation<Grant, any Error>
    }

    private struct State {
        var idle: [PostgresConnection] = []
        /// Connections open, being opened, or in use.
        var open = 0
        var waiting: [Waiter] = []
        var nextID = 0
        var closed = false
    }

    private func lease(turn: Turn) async throws -> PostgresConnection {
        let id = state.withLockedValue { state in
            state.nextID &+= 1
            return state.nextID
        }
        let grant = try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Grant, any Error>) in
                let now = state.withLockedValue { state -> Result<Grant, any Error>? in
                    if state.closed { return .failure(Self.closedError) }
                    if let connection = state.idle.popLast() { return .success(.connection(connection)) }
                    if state.open < size {
                        state.open += 1
                        return .success(.open)
                    }
                    let waiter = Waiter(id: id, first: turn == .first, continuation: continuation)
                    // A first-turn call goes behind those waiting first, ahead of the rest.
                    let end = state.waiting.endIndex
                    state.waiting.insert(waiter, at: waiter.first ? state.waiting.firstIndex { !$0.first } ?? end : end)
                    return nil
                }
                if let now { continuation.resume(with: now) }
            }
        } onCancel: {
            let waiter = state.withLockedValue { state -> Waiter? in
                guard let index = state.waiting.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiting.remove(at: index)
            }
            waiter?.continuation.resume(throwing: CancellationError())
        }
        switch grant {
        case .connection(let connection):
            // A connection the server closed while it sat idle is replaced, not used.
            guard connection.isClosed else { return connection }
            return try await reopen(replacing: connection, id: id)
        case .open:
            return try await open(id: id)
        }
    }

    private func reopen(replacing connection: PostgresConnection, id: Int) async throws -> PostgresConnection {
        try? await connection.close()
        return try await open(id: id)
    }

    /// Opens a connection in a slot already counted in `open`; gives the slot
    /// up (to the next waiter) if it can't.
    private func open(id: Int) async throws -> PostgresConnection {
        do {
            return try await connect(id)
        } catch {
            slotFreed()
            throw error
        }
    }

    fileprivate func giveBack(_ connection: PostgresConnection, reusable: Bool) {
        enum Next {
            case waiter(Waiter)
            case idle
            case drop
        }
        let next = state.withLockedValue { state -> Next in
            guard reusable, !state.closed, !connection.isClosed else { return .drop }
            guard !state.waiting.isEmpty else {
                state.idle.append(connection)
                return .idle
            }
            return .waiter(state.waiting.removeFirst())
        }
        switch next {
        case .waiter(let waiter): waiter.continuation.resume(returning: .connection(connection))
        case .idle: break
        case .drop:
            // Closed off the caller's path: the answer doesn't wait for the goodbye.
            Task { try? await connection.close() }
            slotFreed()
        }
    }

    /// A slot came free: the first waiter may open a connection in it.
    private func slotFreed() {
        let waiter = state.withLockedValue { state -> Waiter? in
            guard !state.closed, !state.waiting.isEmpty else {
                state.open -= 1
                return nil
            }
            return state.waiting.removeFirst()
        }
        waiter?.continuation.resume(returning: .open)
    }

    /// An SQL error (a constraint, a syntax error) leaves the connection as it
    /// was; anything else (cancelled, timed out, reset, a failed rollback) may
    /// leave a query running on it or the protocol mid-way.
    static func leavesConnectionUsable(_ error: any Error) -> Bool {
        switch error {
        case let error as PSQLError: error.code == .server
        case let error as PostgresTransactionError:
            error.beginError == nil && error.rollbackError == nil && error.commitError == nil
                && (error.closureError.map(leavesConnectionUsable) ?? true)
        case is StoreError: true
        default: false
        }
    }

    private static let closedError = StoreError.unavailable("the store is closed")
}

extension PostgresConnection {
    /// A query whose log lines aren't wanted: Lith logs a failed call once, as a 503.
    @discardableResult
    func query(_ query: PostgresQuery, file: String = #fileID, line: Int = #line) async throws -> PostgresRowSequence {
        try await self.query(query, logger: Self.quiet, file: file, line: line)
    }

    private static let quiet = Logger(label: "lith.postgres.query", factory: { _ in SwiftLogNoOpLogHandler() })
}
