import Foundation
@_spi(Testing) import LithTestSupport
import NIOConcurrencyHelpers
import Testing

@_spi(Testing) @testable import Lith

@Suite("Store call deadlines")
final class DeadlinesTests: Sendable {
    /// Each test gets its own table, swept every 10 ms while the test runs.
    let deadlines = Deadlines(tick: .milliseconds(10))
    let sweeper: Task<Void, Never>

    init() {
        sweeper = Task { [deadlines] in await deadlines.sweep() }
    }

    deinit {
        sweeper.cancel()
    }

    @Test func aCallThatFinishesInTimeReturnsItsValueAndLeavesNothingBehind() async throws {
        let value = try await deadlines.run(seconds: 5) { 42 }

        #expect(value == 42)
        #expect(deadlines.pendingCount == 0)
    }

    @Test func aCallThatIgnoresCancellationStillFailsSoonAfterItsDeadline() async throws {
        let started = ContinuousClock.now

        // A driver call stuck in a way cancellation can't reach.
        let outcome = await Result {
            try await deadlines.run(seconds: 0.2) {
                await withCheckedContinuation { continuation in
                    DispatchQueue.global().asyncAfter(deadline: .now() + 6) { continuation.resume() }
                }
                return 1
            }
        }

        expectTimedOut(outcome, deadline: .milliseconds(200), since: started)
        #expect(deadlines.pendingCount == 0)
    }

    @Test func anOverdueCallHasItsWorkCancelled() async throws {
        let sawCancellation = NIOLockedValueBox(false)

        let outcome = await Result {
            try await deadlines.run(seconds: 0.05) {
                do { try await Task.sleep(for: .seconds(10)) } catch { sawCancellation.withLockedValue { $0 = true } }
                return 1
            }
        }

        #expect((try? outcome.get()) == nil)
        try await Task.sleep(for: .milliseconds(100))
        #expect(sawCancellation.withLockedValue { $0 })
    }

    @Test func cancellingTheCallerEndsTheCallAtOnce() async throws {
        // Given a caller in a call that would take 30 s
        let caller = Task {
            try await deadlines.run(seconds: 30) {
                try await Task.sleep(for: .seconds(30))
                return 1
            }
        }
        try await Task.sleep(for: .milliseconds(50))
        // When it is cancelled
        caller.cancel()
        let outcome = await caller.result

        // Then it ends with CancellationError, and nothing is left in flight
        guard case .failure(let error) = outcome else {
            Issue.record("expected a failure, got \(outcome)")
            return
        }
        #expect(error is CancellationError)
        #expect(deadlines.pendingCount == 0)
    }

    /// The call failed as unavailable, no sooner than its deadline and well
    /// before a stuck call would have returned (with room for a busy machine).
    private func expectTimedOut(
        _ outcome: Result<Int, any Error>,
        deadline: Duration,
        since started: ContinuousClock.Instant,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let elapsed = ContinuousClock.now - started
        guard case .failure(let error) = outcome, case StoreError.unavailable = error else {
            Issue.record("expected StoreError.unavailable, got \(outcome)", sourceLocation: sourceLocation)
            return
        }
        #expect(elapsed >= deadline, sourceLocation: sourceLocation)
        // Far below the 6 s the stuck call would take, with room for a CI
        // machine running every other suite at once (3 s was once missed by 77 ms).
        #expect(elapsed < .seconds(4.5), sourceLocation: sourceLocation)
    }
}
