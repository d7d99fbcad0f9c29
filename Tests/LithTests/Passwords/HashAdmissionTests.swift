import Foundation
@testable import Lith
import NIOConcurrencyHelpers
import Testing

/// The door in front of the hashing pool: at most `slots` hashes at once,
/// a wait bounded in time, no work for clients that have gone.
@Suite("Hash admission")
struct HashAdmissionTests {
    /// Work that takes `duration` and counts how often it ran.
    final class Work: Sendable {
        private let runs = NIOLockedValueBox(0)
        private let running = NIOLockedValueBox((now: 0, most: 0))
        let duration: Duration

        init(taking duration: Duration) { self.duration = duration }

        func callAsFunction() async throws {
            runs.withLockedValue { $0 += 1 }
            running.withLockedValue { $0.now += 1; $0.most = max($0.most, $0.now) }
            try await Task.sleep(for: duration)
            running.withLockedValue { $0.now -= 1 }
        }

        var count: Int { runs.withLockedValue { $0 } }
        var mostAtOnce: Int { running.withLockedValue { $0.most } }
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
        let work = Work(taking: .milliseconds(200))
        try await admission.run { try await work() }  // times one job
        // when twenty jobs arrive together
        let outcomes = await withTaskGroup(of: (ran: Bool, ended: ContinuousClock.Instant).self) { group in
            for _ in 0..<20 {
                group.addTask {
                    let ran = (try? await admission.run { try await work() }) != nil
                    return (ran, ContinuousClock.now)
                }
            }
            return await group.reduce(into: [(ran: Bool, ended: ContinuousClock.Instant)]()) { $0.append($1) }
        }
        // then only those that fit in the wait ran, and the rest were refused
        // at once: before the first admitted job had even finished
        let refused = outcomes.filter { !$0.ran }
        let firstFinished = try #require(outcomes.filter(\.ran).map(\.ended).min())
        #expect(refused.count >= 16)
        #expect(work.count == 1 + (20 - refused.count))
        #expect(refused.allSatisfy { $0.ended < firstFinished })
    }

    @Test func theRefusalSaysWhenToComeBack() async throws {
        let admission = HashAdmission(slots: 1, maximumWait: .milliseconds(100))
        let work = Work(taking: .milliseconds(300))
        try await admission.run { try await work() }
        async let busy: Void = admission.run { try await work() }
        try await Task.sleep(for: .milliseconds(20))
        await #expect(throws: PasswordHasher.Overloaded.self) { try await admission.run { try await work() } }
        try await busy
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
        while admission.waitingCount == 0 { try await Task.sleep(for: .milliseconds(5)) }
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
        while admission.waitingCount == 0 { try await Task.sleep(for: .milliseconds(5)) }
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        try await first
        #expect(work.count == 1)
    }
}
