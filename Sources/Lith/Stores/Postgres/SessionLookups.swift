import NIOConcurrencyHelpers

/// Every session lookup goes to PostgreSQL inside one `token_hash = ANY($1)`
/// query, one query at a time: group commit, for reads.
///
/// One consumer task per store takes every lookup waiting, sends one query
/// for all of them, answers each, and starts again. On a quiet server a
/// query carries one lookup; under load, every lookup that arrived during a
/// query goes out with the next (measured: about 12 per query on 2 cores,
/// and a page view's cost fell by a third, docs/performance.md). Nothing is
/// cached: each lookup is answered by a query sent after it arrived, so a
/// session deleted before a request came in is never found for it.
///
/// Each lookup has a deadline of its own. A query gets the earliest deadline
/// of its batch, and lookups whose deadline has passed before their query
/// starts fail at once: however long the database hangs, no lookup waits
/// longer than its own deadline (plus the sweeper's tick).
final class SessionLookups: Sendable {
    typealias Found = (SessionRecord, User)
    typealias Fetch = @Sendable ([SessionToken.Digest]) async throws -> [SessionToken.Digest: Found]

    private struct Waiter {
        let id: Int
        let digest: SessionToken.Digest
        let due: ContinuousClock.Instant
        let continuation: CheckedContinuation<Found?, any Error>
    }

    private struct State {
        var waiting: [Waiter] = []
        var nextID = 0
        /// The consumer, when it sleeps for lack of lookups.
        var idleConsumer: CheckedContinuation<Void, Never>?
        var closed = false
    }

    private let state = NIOLockedValueBox(State())
    private let timeout: Duration
    /// The store's deadlines (its sweeper runs beside the store).
    private let deadlines: Deadlines
    private let consumer = NIOLockedValueBox<Task<Void, Never>?>(nil)

    init(timeout: Duration, deadlines: Deadlines, fetch: @escaping Fetch) {
        self.timeout = timeout
        self.deadlines = deadlines
        let task = Task { [self] in await consume(fetch) }
        consumer.withLockedValue { $0 = task }
    }

    /// The session with this digest and its user, or `nil`.
    func lookup(_ digest: SessionToken.Digest) async throws -> Found? {
        let id = state.withLockedValue { state in
            state.nextID &+= 1
            return state.nextID
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let (wake, closed) = state.withLockedValue { state -> (CheckedContinuation<Void, Never>?, Bool) in
                    guard !state.closed else { return (nil, true) }
                    state.waiting.append(Waiter(id: id, digest: digest, due: .now + timeout, continuation: continuation))
                    defer { state.idleConsumer = nil }
                    return (state.idleConsumer, false)
                }
                if closed { continuation.resume(throwing: StoreError.unavailable("the store is closed")) }
                wake?.resume()
            }
        } onCancel: {
            let waiter = state.withLockedValue { state -> Waiter? in
                guard let index = state.waiting.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiting.remove(at: index)
            }
            waiter?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Lookups waiting for the next query (for tests).
    var waitingCount: Int { state.withLockedValue { $0.waiting.count } }

    /// Fails every waiting lookup and stops the consumer.
    func close() async {
        let (waiting, idle) = state.withLockedValue { state in
            state.closed = true
            defer {
                state.waiting = []
                state.idleConsumer = nil
            }
            return (state.waiting, state.idleConsumer)
        }
        for waiter in waiting { waiter.continuation.resume(throwing: StoreError.unavailable("the store is closed")) }
        let task = consumer.withLockedValue { $0 }
        task?.cancel()
        idle?.resume()
        await task?.value
    }

    // MARK: the consumer

    private func consume(_ fetch: @escaping Fetch) async {
        while let batch = await nextBatch() {
            let now = ContinuousClock.now
            let overdue = batch.filter { $0.due <= now }
            for waiter in overdue { waiter.continuation.resume(throwing: Self.timedOut(timeout)) }
            let current = batch.filter { $0.due > now }
            guard let due = current.map(\.due).min() else { continue }
            let digests = Array(Set(current.map(\.digest)))
            let remaining = due - now
            let seconds = Double(remaining.components.seconds) + Double(remaining.components.attoseconds) / 1e18
            do {
                let found = try await PostgresStore.translatingErrors {
                    try await deadlines.run(seconds: seconds) { try await fetch(digests) }
                }
                for waiter in current { waiter.continuation.resume(returning: found[waiter.digest]) }
            } catch {
                for waiter in current { waiter.continuation.resume(throwing: error) }
            }
        }
    }

    /// Every lookup waiting now, after sleeping until there is one; `nil` once closed.
    private func nextBatch() async -> [Waiter]? {
        while true {
            enum Next {
                case batch([Waiter])
                case sleep
                case stop
            }
            let next = state.withLockedValue { state -> Next in
                if state.closed { return .stop }
                guard state.waiting.isEmpty else {
                    defer { state.waiting = [] }
                    return .batch(state.waiting)
                }
                return .sleep
            }
            switch next {
            case .batch(let batch): return batch
            case .stop: return nil
            case .sleep:
                await withCheckedContinuation { continuation in
                    let wakeNow = state.withLockedValue { state -> Bool in
                        if state.closed || !state.waiting.isEmpty { return true }
                        state.idleConsumer = continuation
                        return false
                    }
                    if wakeNow { continuation.resume() }
                }
            }
        }
    }

    static func timedOut(_ timeout: Duration) -> StoreError {
        .unavailable("the database did not answer within \(timeout)")
    }
}
