import Foundation
@_spi(Testing) import LithTestSupport
import NIOConcurrencyHelpers
import Testing

@_spi(Testing) @testable import Lith

/// Session lookups batched into one query at a time (``SessionLookups``),
/// against a fake table whose queries can be held open.
@Suite("Batched session lookups", .timeLimit(.minutes(1)))
final class SessionLookupsTests: Sendable {
    /// A table of sessions by digest whose first query can be held open, to
    /// put lookups "behind" a query in flight.
    final class Table: Sendable {
        let rows = NIOLockedValueBox<[SessionToken.Digest: SessionLookups.Found]>([:])
        let fetches = NIOLockedValueBox<[Set<SessionToken.Digest>]>([])
        let fetchStarts = NIOLockedValueBox<[ContinuousClock.Instant]>([])
        let gate = NIOLockedValueBox<CheckedContinuation<Void, Never>?>(nil)
        let holdFirstFetch: Bool
        let holdEveryFetch: Bool
        let failFirstFetch: Bool
        let held = NIOLockedValueBox<[CheckedContinuation<Void, Never>]>([])

        init(holdFirstFetch: Bool = false, holdEveryFetch: Bool = false, failFirstFetch: Bool = false) {
            self.holdFirstFetch = holdFirstFetch
            self.holdEveryFetch = holdEveryFetch
            self.failFirstFetch = failFirstFetch
        }

        /// Lets every held query go (they answer into the void: their callers gave up).
        func releaseAll() {
            for continuation in held.withLockedValue({ held in
                defer { held = [] }
                return held
            }) { continuation.resume() }
        }

        /// A session for a new token, stored in the table.
        func add(_ index: Int) -> SessionToken {
            let token = SessionToken.generate()
            let user = User(
                id: Int64(index),
                email: try! EmailAddress("user\(index)@example.com"),
                createdAt: Fixtures.now,
                passwordChangedAt: Fixtures.now
            )
            rows.withLockedValue { $0[token.digest] = (Fixtures.session(token, user: user), user) }
            return token
        }

        func fetch(_ digests: [SessionToken.Digest]) async throws -> [SessionToken.Digest: SessionLookups.Found] {
            let isFirst = fetches.withLockedValue { fetches in
                fetches.append(Set(digests))
                return fetches.count == 1
            }
            fetchStarts.withLockedValue { $0.append(.now) }
            // The answer is read when the query "starts", like a database snapshot.
            let snapshot = rows.withLockedValue { $0 }
            if isFirst && holdFirstFetch {
                await withCheckedContinuation { continuation in gate.withLockedValue { $0 = continuation } }
            } else if holdEveryFetch {
                await withCheckedContinuation { continuation in held.withLockedValue { $0.append(continuation) } }
            }
            if isFirst && failFirstFetch { throw StoreError.unavailable("connection reset") }
            return snapshot.filter { digests.contains($0.key) }
        }

        func release() async {
            while true {
                if let continuation = gate.withLockedValue({ gate in
                    defer { gate = nil }
                    return gate
                }) {
                    continuation.resume()
                    return
                }
                try? await Task.sleep(for: .milliseconds(1))
            }
        }
    }

    let deadlines = Deadlines(tick: .milliseconds(10))
    let sweeper: Task<Void, Never>

    init() {
        sweeper = Task { [deadlines] in await deadlines.sweep() }
    }

    deinit {
        sweeper.cancel()
    }

    func lookups(_ table: Table, timeout: Duration = .seconds(5)) -> SessionLookups {
        SessionLookups(timeout: timeout, deadlines: deadlines, fetch: table.fetch)
    }

    struct TimedOut: Error {}

    /// Polls `condition`, failing the test rather than hanging if it never holds.
    static func waitUntil(_ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while !condition() {
            guard ContinuousClock.now < deadline else { throw TimedOut() }
            try await Task.sleep(for: .milliseconds(1))
        }
    }

    @Test func aLookupOnAQuietServerIsAQueryOfItsOwn() async throws {
        // given a table with one session
        let table = Table()
        let known = table.add(1)
        let lookups = lookups(table)
        // when two lookups come one after the other
        let found = try await lookups.lookup(known.digest)
        let missing = try await lookups.lookup(SessionToken.generate().digest)
        // then each was its own query, and each got its own answer
        #expect(found?.1.id == 1)
        #expect(missing == nil)
        #expect(table.fetches.withLockedValue { $0.count } == 2)
        await lookups.close()
    }

    @Test func lookupsArrivingDuringAQueryShareTheNextOneAndEachGetsItsOwnAnswer() async throws {
        // given a query in flight
        let table = Table(holdFirstFetch: true)
        let tokens = (0..<20).map { table.add($0) }
        let lookups = lookups(table)
        async let first = lookups.lookup(tokens[0].digest)
        try await Self.waitUntil { table.fetches.withLockedValue { $0.count } == 1 }
        // when twenty lookups arrive meanwhile
        let answers = Task {
            try await withThrowingTaskGroup(of: (Int, Int64?).self) { group in
                for (index, token) in tokens.enumerated() { group.addTask { (index, try await lookups.lookup(token.digest)?.1.id) } }
                return try await group.reduce(into: [Int: Int64?]()) { $0[$1.0] = $1.1 }
            }
        }
        try await Self.waitUntil { lookups.waitingCount == 20 }
        await table.release()
        // then they all went out in one more query, and each found its own session
        let found = try await answers.value
        #expect(try await first?.1.id == 0)
        #expect(table.fetches.withLockedValue { $0.count } == 2)
        #expect(table.fetches.withLockedValue { $0[1] } == Set(tokens.map(\.digest)))
        for index in 0..<20 { #expect(found[index] == Int64(index)) }
        await lookups.close()
    }

    @Test func aLookupIsNeverAnsweredByAQueryThatStartedBeforeItArrived() async throws {
        // given a query in flight, and then a session that didn't exist when it started
        let table = Table(holdFirstFetch: true)
        let lookups = lookups(table)
        async let first = lookups.lookup(SessionToken.generate().digest)
        try await Self.waitUntil { table.fetches.withLockedValue { $0.count } == 1 }
        let late = table.add(7)
        // when it is looked up while that query still runs
        let answer = Task { try await lookups.lookup(late.digest) }
        try await Self.waitUntil { lookups.waitingCount == 1 }
        await table.release()
        // then it is answered by a query sent after it arrived, and found
        #expect(try await answer.value?.1.id == 7)
        _ = try await first
        #expect(table.fetches.withLockedValue { $0.count } == 2)
        await lookups.close()
    }

    @Test func aFailedQueryFailsItsLookupsAndTheNextOnesStillWork() async throws {
        let table = Table(failFirstFetch: true)
        let known = table.add(3)
        let lookups = lookups(table)
        await #expect(throws: StoreError.unavailable("connection reset")) { try await lookups.lookup(known.digest) }
        #expect(try await lookups.lookup(known.digest)?.1.id == 3)
        await lookups.close()
    }

    /// Deadlines no sweeper watches: the test decides when time has run out
    /// (``Deadlines/expireOverdue(at:)``), so a busy machine can't blur it.
    let manualDeadlines = Deadlines()

    @Test func aLookupQueuedBehindAHungQueryGetsAQueryOfItsOwnWithWhatIsLeftOfItsDeadline() async throws {
        // given a database where every query hangs, and a 60 s deadline
        let table = Table(holdEveryFetch: true)
        let lookups = SessionLookups(timeout: .seconds(60), deadlines: manualDeadlines, fetch: table.fetch)
        let first = Task { try await lookups.lookup(SessionToken.generate().digest) }
        try await Self.waitUntil { table.fetches.withLockedValue { $0.count } == 1 }
        // and a second lookup queued behind the hung query (it arrived
        // somewhere between `sent` and `queued`: a busy machine may start
        // its task late)
        let sent = ContinuousClock.now
        let second = Task { try await lookups.lookup(SessionToken.generate().digest) }
        try await Self.waitUntil { lookups.waitingCount == 1 }
        let queued = ContinuousClock.now
        try await Task.sleep(for: .milliseconds(500))
        // when the hung query's deadline passes
        manualDeadlines.expireOverdue(at: .now + .seconds(61))
        // then its lookup fails as unavailable, and the second gets a query of
        // its own, due when the second's own deadline is (60 s after it
        // arrived), not a full 60 s after that query started
        guard case .failure(let error) = await first.result, case StoreError.unavailable = error else {
            Issue.record("expected StoreError.unavailable")
            return
        }
        try await Self.waitUntil { table.fetches.withLockedValue { $0.count } == 2 && manualDeadlines.pendingCount == 1 }
        // (a full 60 s after its query started would be at least 500 ms
        // later; the query's deadline is the time left, measured again a
        // moment later, so a busy machine may add a few milliseconds)
        let due = try #require(manualDeadlines.pendingDues.first)
        #expect(due >= sent + .seconds(60), "due \(due - sent) after it was sent")
        #expect(due <= queued + .seconds(60) + .milliseconds(100), "due \(due - queued) after it was queued")
        manualDeadlines.expireOverdue(at: .now + .seconds(61))
        await #expect(throws: StoreError.self) { try await second.value }
        table.releaseAll()
        await lookups.close()
    }

    @Test func aLookupWhoseDeadlinePassedWhileItWaitedFailsWithoutAQuery() async throws {
        // given a hung query, and a lookup behind it with a 2 s deadline
        // (long enough that a busy machine still starts the first query in time)
        let table = Table(holdEveryFetch: true)
        let lookups = SessionLookups(timeout: .seconds(2), deadlines: manualDeadlines, fetch: table.fetch)
        let first = Task { try await lookups.lookup(SessionToken.generate().digest) }
        try await Self.waitUntil { table.fetches.withLockedValue { $0.count } == 1 }
        let second = Task { try await lookups.lookup(SessionToken.generate().digest) }
        try await Self.waitUntil { lookups.waitingCount == 1 }
        // when both deadlines have passed by the time the hung query gives up
        try await Task.sleep(for: .milliseconds(2_100))
        manualDeadlines.expireOverdue(at: .now)
        // then both fail, and no query was sent for the second
        _ = await first.result
        await #expect(throws: StoreError.self) { try await second.value }
        #expect(table.fetches.withLockedValue { $0.count } == 1)
        table.releaseAll()
        await lookups.close()
    }

    @Test func closingFailsWhatWaitsAndRefusesWhatComes() async throws {
        let table = Table(holdFirstFetch: true)
        let lookups = lookups(table)
        let first = Task { try await lookups.lookup(SessionToken.generate().digest) }
        try await Self.waitUntil { table.fetches.withLockedValue { $0.count } == 1 }
        let waiting = Task { try await lookups.lookup(SessionToken.generate().digest) }
        try await Self.waitUntil { lookups.waitingCount == 1 }
        let closing = Task { await lookups.close() }
        await #expect(throws: StoreError.self) { try await waiting.value }
        await table.release()
        _ = await first.result
        await closing.value
        await #expect(throws: StoreError.self) { try await lookups.lookup(SessionToken.generate().digest) }
    }
}
