import NIOConcurrencyHelpers

/// Bounds how long a store call may take. When the database is gone, a
/// connection pool can wait for a connection for a long time; a visitor should
/// get a 503 page in seconds instead.
enum Deadline {
    static func run<T: Sendable>(seconds: Double, _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
        let finished = NIOLockedValueBox(false)
        let tasks = NIOLockedValueBox<[Task<Void, Never>]>([])
        return try await withCheckedThrowingContinuation { continuation in
            @Sendable func finish(_ result: Result<T, any Error>) {
                let first = finished.withLockedValue { done in
                    defer { done = true }
                    return !done
                }
                guard first else { return }
                continuation.resume(with: result)
                for task in tasks.withLockedValue({ $0 }) { task.cancel() }
            }
            // Unstructured on purpose: a driver call that ignores cancellation
            // must not hold the request past the deadline.
            let work = Task { finish(await Result(catching: operation)) }
            let timer = Task {
                try? await Task.sleep(nanoseconds: UInt64(seconds * 1_000_000_000))
                if !Task.isCancelled { finish(.failure(StoreError.unavailable("the database did not answer within \(seconds) s"))) }
            }
            tasks.withLockedValue { $0 = [work, timer] }
            if finished.withLockedValue({ $0 }) { work.cancel(); timer.cancel() }
        }
    }
}

extension Result where Failure == any Error {
    init(catching body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}
