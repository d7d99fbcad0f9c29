import Foundation
@testable import Lith
import NIOConcurrencyHelpers
import Testing

@Suite("Batched lookups")
struct LookupBatcherTests {
    /// A fake table whose fetches can be held open, to create "in flight".
    final class Table: Sendable {
        let rows = NIOLockedValueBox<[String: Int]>([:])
        let fetches = NIOLockedValueBox<[[String]]>([])
        let gate = NIOLockedValueBox<CheckedContinuation<Void, Never>?>(nil)
        let holdFirstFetch: Bool

        init(_ rows: [String: Int], holdFirstFetch: Bool = false) {
            self.rows.withLockedValue { $0 = rows }
            self.holdFirstFetch = holdFirstFetch
        }

        func fetch(_ keys: [String]) async throws -> [String: Int] {
            let isFirst = fetches.withLockedValue { fetches in
                fetches.append(keys.sorted())
                return fetches.count == 1
            }
            // The answer is read when the query "starts", like a database snapshot.
            let snapshot = rows.withLockedValue { $0 }
            if isFirst && holdFirstFetch {
                await withCheckedContinuation { continuation in gate.withLockedValue { $0 = continuation } }
            }
            return snapshot.filter { keys.contains($0.key) }
        }

        func release() async {
            while true {
                if let continuation = gate.withLockedValue({ gate in defer { gate = nil }; return gate }) {
                    continuation.resume()
                    return
                }
                try? await Task.sleep(for: .milliseconds(1))
            }
        }

        func waitForFetches(_ count: Int) async {
            while fetches.withLockedValue({ $0.count }) < count { try? await Task.sleep(for: .milliseconds(1)) }
        }
    }

    @Test func aLookupOnAQuietServerIsItsOwnQuery() async throws {
        let table = Table(["a": 1])
        let batcher = LookupBatcher<String, Int>(maximumInFlight: 2, fetch: table.fetch)

        let found = try await batcher.value(for: "a")
        let missing = try await batcher.value(for: "b")

        #expect(found == 1)
        #expect(missing == nil)
        #expect(table.fetches.withLockedValue { $0 } == [["a"], ["b"]])
        #expect(batcher.idle)
    }

    @Test func lookupsArrivingDuringAQueryShareTheNextOneAndEachGetsItsOwnAnswer() async throws {
        let rows = Dictionary(uniqueKeysWithValues: (0..<20).map { ("k\($0)", $0) })
        let table = Table(rows, holdFirstFetch: true)
        let batcher = LookupBatcher<String, Int>(maximumInFlight: 1, fetch: table.fetch)

        let first = Task { try await batcher.value(for: "k0") }
        await table.waitForFetches(1)
        let others = (1..<20).map { index in Task { (index, try await batcher.value(for: "k\(index)")) } }
        let missing = Task { try await batcher.value(for: "nobody") }
        try await Task.sleep(for: .milliseconds(50))
        await table.release()

        #expect(try await first.value == 0)
        for task in others {
            let (index, value) = try await task.value
            #expect(value == index)
        }
        #expect(try await missing.value == nil)
        let fetches = table.fetches.withLockedValue { $0 }
        #expect(fetches.count == 2)
        #expect(fetches.last?.count == 20)
        #expect(batcher.idle)
    }

    @Test func aLookupIsNeverAnsweredByAQueryThatStartedBeforeItArrived() async throws {
        let table = Table(["session": 1], holdFirstFetch: true)
        let batcher = LookupBatcher<String, Int>(maximumInFlight: 1, fetch: table.fetch)

        // A query for the session is in flight when the session is deleted (logout)...
        let before = Task { try await batcher.value(for: "session") }
        await table.waitForFetches(1)
        table.rows.withLockedValue { $0["session"] = nil }
        // ...and a request that arrives after the delete must not see it.
        let after = Task { try await batcher.value(for: "session") }
        try await Task.sleep(for: .milliseconds(50))
        await table.release()

        #expect(try await before.value == 1)
        #expect(try await after.value == nil)
    }

    @Test func aFailedQueryFailsEveryLookupInItAndTheNextOnesStillWork() async throws {
        struct Down: Error {}
        let down = NIOLockedValueBox(true)
        let batcher = LookupBatcher<String, Int>(maximumInFlight: 1) { keys in
            try await Task.sleep(for: .milliseconds(10))
            if down.withLockedValue({ $0 }) { throw Down() }
            return Dictionary(uniqueKeysWithValues: keys.map { ($0, 7) })
        }

        let lookups = (0..<5).map { index in Task { try await batcher.value(for: "k\(index)") } }
        for task in lookups {
            await #expect(throws: Down.self) { try await task.value }
        }
        down.withLockedValue { $0 = false }
        let later = try await batcher.value(for: "k9")

        #expect(later == 7)
        #expect(batcher.idle)
    }

    @Test func aLookupQueuedBehindAHungQueryFailsWithinItsOwnDeadline() async throws {
        let table = Table(["a": 1, "b": 2], holdFirstFetch: true)
        let deadlines = Deadlines(tick: .milliseconds(10))
        let sweeper = Task { await deadlines.sweep() }
        defer { sweeper.cancel() }
        let batcher = LookupBatcher<String, Int>(
            maximumInFlight: 1, boundWait: { register in try await deadlines.wait(seconds: 0.2, register) }, fetch: table.fetch)

        // Given a query that hangs (a database that stopped answering)
        let hung = Task { try await batcher.value(for: "a") }
        await table.waitForFetches(1)
        // when another lookup has to wait behind it
        let started = ContinuousClock.now
        let outcome = await Result { try await batcher.value(for: "b") }

        // then it gives up at its own deadline, not the hung query's plus its own
        guard case .failure(let error) = outcome, case StoreError.unavailable = error else {
            Issue.record("expected StoreError.unavailable, got \(outcome)")
            return
        }
        #expect(ContinuousClock.now - started < .seconds(3))
        await table.release()
        _ = try await hung.value
    }
}
