import NIOConcurrencyHelpers

/// Bounds how long a store call may take. When the database is gone, a
/// connection pool can wait for a connection for a long time; a visitor should
/// get a 503 page in seconds instead. A write that times out may still land
/// later: the visitor is told to try again, which every Lith write tolerates
/// (a repeated signup is "email taken", a repeated logout a no-op).
enum Deadline {
    static func run<T: Sendable>(seconds: Double, _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
        let nanoseconds = UInt64(min(max(seconds, 0.001), 3600) * 1_000_000_000)
        let state = NIOLockedValueBox(State())
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
                @Sendable func finish(_ result: Result<T, any Error>) {
                    let tasks = state.withLockedValue { state -> [Task<Void, Never>]? in
                        guard !state.finished else { return nil }
                        state.finished = true
                        return state.tasks
                    }
                    guard let tasks else { return }
                    continuation.resume(with: result)
                    for task in tasks { task.cancel() }
                }
                // Unstructured on purpose: a driver call that ignores
                // cancellation must not hold the request past the deadline.
                let work = Task { finish(await Result(catching: operation)) }
                let timer = Task {
                    try? await Task.sleep(nanoseconds: nanoseconds)
                    if !Task.isCancelled { finish(.failure(StoreError.unavailable("the database did not answer within \(seconds) s"))) }
                }
                let alreadyFinished = state.withLockedValue { state in
                    state.tasks = [work, timer]
                    return state.finished
                }
                if alreadyFinished { work.cancel(); timer.cancel() }
            }
        } onCancel: {
            for task in state.withLockedValue({ $0.tasks }) { task.cancel() }
        }
    }

    private struct State {
        var finished = false
        var tasks: [Task<Void, Never>] = []
    }
}

extension Result where Failure == any Error {
    init(catching body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}
