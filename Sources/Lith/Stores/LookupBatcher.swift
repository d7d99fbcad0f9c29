import NIOConcurrencyHelpers

/// Sends lookups that arrive while others are in flight to the database
/// together, as one query: group commit, for reads.
///
/// On a quiet server a lookup goes out at once, alone, as before. Under load,
/// up to `maximumInFlight` queries run at a time and every lookup that arrives
/// meanwhile waits for the next one, which asks for all of them. Nothing is
/// cached: each lookup is answered by a query sent after it arrived, so a
/// session deleted before a request came in is never found for it.
///
/// Measured reason: on PostgreSQL the driver's fixed cost per query (protocol
/// state machines, pool lease, row stream, event-loop hops) was three times
/// Lith's own work per signed-in page.
final class LookupBatcher<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    typealias Fetch = @Sendable ([Key]) async throws -> [Key: Value]
    /// How a waiting lookup is answered: once, by the batch that asked for it.
    typealias Answer = @Sendable (Result<Value?, any Error>) -> Void
    /// Waits for the answer `register` is given a way to deliver, within the
    /// store's deadline (``Deadlines/wait(seconds:_:)``), so a lookup queued
    /// behind a query that hangs doesn't wait for that one and then its own.
    typealias BoundWait = @Sendable (_ register: (@escaping Answer) -> Void) async throws -> Value?

    private let fetch: Fetch
    private let boundWait: BoundWait
    private let maximumInFlight: Int
    private let maximumBatch: Int
    private let state = NIOLockedValueBox(State())

    /// `fetch` answers a batch of distinct keys; a key it leaves out has no value.
    init(maximumInFlight: Int, maximumBatch: Int = 256, boundWait: @escaping BoundWait = LookupBatcher.waitUnbounded, fetch: @escaping Fetch) {
        self.fetch = fetch
        self.boundWait = boundWait
        self.maximumInFlight = max(1, maximumInFlight)
        self.maximumBatch = max(1, maximumBatch)
    }

    func value(for key: Key) async throws -> Value? {
        let leads = state.withLockedValue { state -> Bool in
            guard state.inFlight < maximumInFlight else { return false }
            state.inFlight += 1
            return true
        }
        if leads {
            // The quiet path: this request's own query, in its own task.
            let result = await Result(catching: { try await fetch([key]) })
            startNextBatchIfWaiting()
            return try result.get()[key]
        }
        return try await boundWait { answer in
            let startNow = self.state.withLockedValue { state -> Bool in
                state.waiting.append(Waiter(key: key, answer: answer))
                // A query may have finished between the check above and here.
                guard state.inFlight < self.maximumInFlight else { return false }
                state.inFlight += 1
                return true
            }
            if startNow { self.runBatches() }
        }
    }

    /// Without a deadline: until the batch answers.
    static func waitUnbounded(_ register: (@escaping Answer) -> Void) async throws -> Value? {
        try await withCheckedThrowingContinuation { continuation in
            register { continuation.resume(with: $0) }
        }
    }

    /// Hands the waiting lookups to a new query, or gives the slot back.
    private func startNextBatchIfWaiting() {
        let more = state.withLockedValue { state -> Bool in
            if state.waiting.isEmpty {
                state.inFlight -= 1
                return false
            }
            return true
        }
        if more { runBatches() }
    }

    /// Runs batches in a task of their own (waiters have no task of their
    /// own to run them in) until none are waiting.
    private func runBatches() {
        Task {
            while let batch = takeBatch() {
                let keys = Array(Set(batch.map(\.key)))
                switch await Result(catching: { try await fetch(keys) }) {
                case .success(let found):
                    for waiter in batch { waiter.answer(.success(found[waiter.key])) }
                case .failure(let error):
                    for waiter in batch { waiter.answer(.failure(error)) }
                }
            }
        }
    }

    /// The oldest waiters, or `nil` (and the slot given back) when there are none.
    private func takeBatch() -> [Waiter]? {
        state.withLockedValue { state -> [Waiter]? in
            guard !state.waiting.isEmpty else {
                state.inFlight -= 1
                return nil
            }
            let count = min(maximumBatch, state.waiting.count)
            let batch = Array(state.waiting.prefix(count))
            state.waiting.removeFirst(count)
            return batch
        }
    }

    /// Lookups in flight or waiting, for tests.
    var idle: Bool { state.withLockedValue { $0.inFlight == 0 && $0.waiting.isEmpty } }

    private struct Waiter {
        let key: Key
        let answer: Answer
    }

    private struct State {
        var inFlight = 0
        var waiting: [Waiter] = []
    }
}
