import Foundation
@_spi(Testing) import LithTestSupport
import NIOConcurrencyHelpers
import Testing

@_spi(Testing) @testable import Lith

/// The door in front of the hashing pool: at most `slots` hashes at once,
/// a wait bounded in time, no work for clients that have gone.
@Suite("Hash admission", .timeLimit(.minutes(1)))
struct HashAdmissionTests {
    struct TimedOut: Error {}

    /// Polls `condition`, failing the test rather than hanging if it never holds.
    static func waitUntil(_ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while !condition() {
            guard ContinuousClock.now < deadline else { throw TimedOut() }
            try await Task.sleep(for: .milliseconds(2))
        }
    }

    /// Work that takes `duration` and counts how often it ran.
    final class Work: Sendable {
        private let runs = NIOLockedValueBox(0)
        private let running = NIOLockedValueBox((now: 0, most: 0))
        let duration: Duration

        init(taking duration: Duration) { self.duration = duration }

        func callAsFunction() async throws {
            runs.withLockedValue { $0 += 1 }
            running.withLockedValue {
                $0.now += 1
                $0.most = max($0.most, $0.now)
            }
            try await Task.sleep(for: duration)
            running.withLockedValue { $0.now -= 1 }
        }

        var count: Int { runs.withLockedValue { $0 } }
        var mostAtOnce: Int { running.withLockedValue { $0.most } }
        var isRunning: Bool { running.withLockedValue { $0.now > 0 } }
    }

    @Test func noMoreJobsRunAtOnceThanThereAreSlots() async throws {
        // given two slots and ten jobs at once
        let admission = HashAdmission(slots: 2, maximumWait: .seconds(10))
        let work = Work(taking: .milliseconds(20))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<10 { group.addTask { try await admission.run { try await work() } } }
            try await group.waitForAll()
        }
        // then all ran, never more than two at a time
        #expect(work.count == 10)
        #expect(work.mostAtOnce == 2)
    }

    @Test func aJobThatWouldWaitLongerThanTheLimitIsRefusedAtOnceWithoutRunning() async throws {
        // given one slot, jobs known to take 200 ms, and a wait limit of half a second
        let admission = HashAdmission(slots: 1, maximumWait: .milliseconds(500))
        admission.assumeHashesTake(0.2)
        // and the slot taken by a long job, with two jobs waiting (0.2 s and 0.4 s away)
        let holder = Work(taking: .seconds(2))
        let holding = Task { try await admission.run { try await holder() } }
        try await Self.waitUntil { holder.count == 1 }
        let waiting = Work(taking: .milliseconds(10))
        var waiters: [Task<Void, any Error>] = []
        for expected in 1...2 {
            waiters.append(Task { try await admission.run { try await waiting() } })
            try await Self.waitUntil { admission.waitingCount == expected }
        }
        // when a third arrives, which would wait 0.6 s
        let late = Work(taking: .milliseconds(10))
        await #expect(throws: PasswordHasher.Overloaded.self) { try await admission.run { try await late() } }
        // then it was refused while the long job still ran, and never ran itself
        #expect(holder.isRunning)
        #expect(admission.waitingCount == 2)
        #expect(late.count == 0)
        holding.cancel()
        for waiter in waiters { _ = await waiter.result }
        _ = await holding.result
    }

    @Test func theRefusalSaysWhenToComeBack() async throws {
        // given hashes that take 0.3 s, a wait limit of 0.1 s, and the one slot taken
        let admission = HashAdmission(slots: 1, maximumWait: .milliseconds(100))
        admission.assumeHashesTake(0.3)
        let work = Work(taking: .milliseconds(300))
        let busy = Task { try await admission.run { try await work() } }
        try await Self.waitUntil { work.count == 1 }
        // when another job comes, then it is told to come back in about the time it would have waited
        do {
            try await admission.run { try await work() }
            Issue.record("expected Overloaded")
        } catch let overloaded as PasswordHasher.Overloaded {
            #expect(overloaded.retryAfterSeconds == 1)
        }
        try await busy.value
    }

    @Test func aJobWhoseClientHasGoneNeverRuns() async throws {
        // given a client that has hung up before its job was admitted
        let admission = HashAdmission(slots: 1, maximumWait: .seconds(10))
        let work = Work(taking: .milliseconds(10))
        let presence = ClientPresence()
        presence.markGone()
        // when its job asks for a slot
        await #expect(throws: PasswordHasher.ClientGone.self) {
            try await ClientPresence.$current.withValue(presence) { try await admission.run { try await work() } }
        }
        // then nothing ran
        #expect(work.count == 0)
    }

    @Test func aClientThatHangsUpWhileWaitingGivesUpItsPlace() async throws {
        // given one slot taken, and a second job waiting behind it
        let admission = HashAdmission(slots: 1, maximumWait: .seconds(10))
        let work = Work(taking: .milliseconds(300))
        let presence = ClientPresence()
        async let first: Void = admission.run { try await work() }
        try await Task.sleep(for: .milliseconds(50))
        let second = Task { try await ClientPresence.$current.withValue(presence) { try await admission.run { try await work() } } }
        try await Self.waitUntil { admission.waitingCount == 1 }
        // when its client hangs up
        presence.markGone()
        // then it leaves the line at once, and its work never runs
        await #expect(throws: PasswordHasher.ClientGone.self) { try await second.value }
        #expect(admission.waitingCount == 0)
        try await first
        #expect(work.count == 1)
    }

    @Test func aCancelledWaiterLeavesTheLine() async throws {
        let admission = HashAdmission(slots: 1, maximumWait: .seconds(10))
        let work = Work(taking: .milliseconds(300))
        async let first: Void = admission.run { try await work() }
        try await Task.sleep(for: .milliseconds(50))
        let waiter = Task { try await admission.run { try await work() } }
        try await Self.waitUntil { admission.waitingCount == 1 }
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        try await first
        #expect(work.count == 1)
    }
}
