import Foundation
@testable import Lith
import NIOConcurrencyHelpers
import Testing

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

    /// The two ways into a deadline: work run on the caller's behalf, or a wait for a callback.
    enum Entry: CaseIterable, Sendable {
        case run, wait

        /// A call that would take 30 s.
        func slowCall(_ deadlines: Deadlines) async throws -> Int {
            switch self {
            case .run:
                try await deadlines.run(seconds: 30) {
                    try await Task.sleep(for: .seconds(30))
                    return 1
                }
            case .wait:
                try await deadlines.wait(seconds: 30) { _ in }
            }
        }
    }

    @Test(arguments: Entry.allCases)
    func cancellingTheCallerEndsTheCallAtOnce(entry: Entry) async throws {
        // Given a caller in a call that would take 30 s
        let caller = Task { try await entry.slowCall(deadlines) }
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

    // MARK: waiting for a callback

    @Test func aWaitAnsweredInTimeReturnsTheAnswerAndLeavesNothingBehind() async throws {
        // Given an answer that comes later, from another thread
        let value: Int = try await deadlines.wait(seconds: 5) { answer in
            DispatchQueue.global().asyncAfter(deadline: .now() + 0.05) { answer(.success(7)) }
        }

        #expect(value == 7)
        #expect(deadlines.pendingCount == 0)
    }

    @Test func aWaitNobodyAnswersFailsSoonAfterItsDeadlineAndALateAnswerIsIgnored() async throws {
        let late = NIOLockedValueBox<(@Sendable (Result<Int, any Error>) -> Void)?>(nil)
        let started = ContinuousClock.now

        // Given a batch that never answers in time
        let outcome = await Result { try await deadlines.wait(seconds: 0.2) { answer in late.withLockedValue { $0 = answer } } }

        expectTimedOut(outcome, deadline: .milliseconds(200), since: started)
        // When the answer arrives after all, then nothing resumes twice (a trap)
        late.withLockedValue { $0 }?(.success(1))
        #expect(deadlines.pendingCount == 0)
    }

    /// The call failed as unavailable, no sooner than its deadline and well
    /// before a stuck call would have returned (with room for a busy machine).
    private func expectTimedOut(
        _ outcome: Result<Int, any Error>, deadline: Duration, since started: ContinuousClock.Instant,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let elapsed = ContinuousClock.now - started
        guard case .failure(let error) = outcome, case StoreError.unavailable = error else {
            Issue.record("expected StoreError.unavailable, got \(outcome)", sourceLocation: sourceLocation)
            return
        }
        #expect(elapsed >= deadline, sourceLocation: sourceLocation)
        #expect(elapsed < .seconds(3), sourceLocation: sourceLocation)
    }
}
