import NIOConcurrencyHelpers

/// Bounds how long store calls may take. When the database is gone, a
/// connection pool can wait for a connection for a long time; a visitor should
/// get a 503 page in seconds instead. A write that times out may still land
/// later: the visitor is told to try again, which every Lith write tolerates
/// (a repeated signup is "email taken", a repeated logout a no-op).
///
/// One sweeper checks every call in flight a few times a second, instead of a
/// timer per call: on the PostgreSQL dashboard path a sleeping task per query
/// (a dispatch timer armed and torn down each time) cost more CPU than the
/// query's own work in Lith. The price is precision: a call fails between its
/// deadline and one ``tick`` later.
final class Deadlines: Sendable {
    let tick: Duration
    private let state = NIOLockedValueBox(State())

    init(tick: Duration = .milliseconds(100)) {
        self.tick = tick
    }

    /// Runs `operation`, or fails with ``StoreError/unavailable(_:)`` once
    /// `seconds` have passed (with ``CancellationError`` if the caller is
    /// cancelled first). Only works while ``sweep()`` runs.
    func run<T: Sendable>(seconds: Double, _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
        try await call(seconds: seconds) { answer in
            // Unstructured on purpose: a driver call that ignores
            // cancellation must not hold the request past the deadline.
            Task { answer(await Result(catching: operation)) }
        }
    }

    /// The caller waits for the first of: `start`'s answer, the deadline, or
    /// its own cancellation. `start` may return the task doing the work, which
    /// is cancelled when the call ends any other way.
    private func call<T: Sendable>(
        seconds: Double,
        _ start: (@escaping @Sendable (Result<T, any Error>) -> Void) -> Task<Void, Never>?
    ) async throws -> T {
        let seconds = min(max(seconds, 0.001), 3600)
        let due = ContinuousClock.now + .seconds(seconds)
        let id = state.withLockedValue { state in
            state.nextID &+= 1
            return state.nextID
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
                let call = Call(due: due, seconds: seconds) { error in continuation.resume(throwing: error) }
                state.withLockedValue { $0.calls[id] = call }
                let work = start { result in
                    if self.claim(id) != nil { continuation.resume(with: result) }
                }
                if let work {
                    let stillPending = state.withLockedValue { state in
                        state.calls[id]?.work = work
                        return state.calls[id] != nil
                    }
                    if !stillPending { work.cancel() }
                }
                if Task.isCancelled { fail(id, with: CancellationError()) }
            }
        } onCancel: {
            fail(id, with: CancellationError())
        }
    }

    /// Fails every call whose deadline has passed, until the task running it
    /// is cancelled. Start it once, beside the store.
    func sweep() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: tick)
            expireOverdue(at: .now)
        }
    }

    func expireOverdue(at now: ContinuousClock.Instant) {
        let overdue = state.withLockedValue { state -> [(Int, Double)] in
            state.calls.compactMap { id, call in call.due <= now ? (id, call.seconds) : nil }
        }
        for (id, seconds) in overdue {
            fail(id, with: StoreError.unavailable("the database did not answer within \(seconds) s"))
        }
    }

    /// How many calls are in flight (for tests).
    var pendingCount: Int { state.withLockedValue { $0.calls.count } }

    /// When the calls in flight are due (for tests).
    var pendingDues: [ContinuousClock.Instant] { state.withLockedValue { $0.calls.values.map(\.due) } }

    /// One-off: runs `operation` under a deadline with a sweeper of its own,
    /// for calls made before a store exists (the start-up probe).
    static func run<T: Sendable>(seconds: Double, _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
        let deadlines = Deadlines()
        let sweeper = Task { await deadlines.sweep() }
        defer { sweeper.cancel() }
        return try await deadlines.run(seconds: seconds, operation)
    }

    // MARK: bookkeeping

    /// Whoever removes a call first resumes its caller: the work finishing,
    /// the sweeper, or cancellation. The others find nothing to do.
    private func claim(_ id: Int) -> Call? {
        state.withLockedValue { $0.calls.removeValue(forKey: id) }
    }

    private func fail(_ id: Int, with error: any Error) {
        guard let call = claim(id) else { return }
        call.fail(error)
        call.work?.cancel()
    }

    private struct Call {
        let due: ContinuousClock.Instant
        let seconds: Double
        let fail: @Sendable (any Error) -> Void
        var work: Task<Void, Never>?

        init(due: ContinuousClock.Instant, seconds: Double, fail: @escaping @Sendable (any Error) -> Void) {
            self.due = due
            self.seconds = seconds
            self.fail = fail
        }
    }

    private struct State {
        var nextID = 0
        var calls: [Int: Call] = [:]
    }
}

extension Result where Failure == any Error {
    init(catching body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}
