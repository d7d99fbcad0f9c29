import Foundation
@_spi(Testing) import Lith
@_spi(Testing) import LithTestSupport
import Logging
import Testing

@Suite("Purge job")
struct PurgeServiceTests {
    @Test(arguments: StoreKind.available)
    func theJobDeletesExpiredSessionsAndKeepsLiveOnes(kind: StoreKind) async throws {
        try await kind.with { store in
            // given one live and two expired sessions
            let now = Date(timeIntervalSince1970: 1_800_000_000)
            let user = try await store.insertUser(email: try EmailAddress("ada@example.com"), passwordHash: Fixtures.hash, at: now)
            try await store.insertSession(Fixtures.session(SessionToken.generate(), user: user, at: now))
            for _ in 0..<2 {
                try await store.insertSession(Fixtures.session(SessionToken.generate(), user: user, at: now.addingTimeInterval(-7200)))
            }
            // when two purge jobs (two instances) run at once
            let jobs = (0..<2).map { _ in
                Task { try await PurgeService(store: store, interval: 0.05, clock: { now }, logger: Logger(label: "test")).run() }
            }
            var remaining = try await store.sessionCount()
            for _ in 0..<100 where remaining > 1 {
                try await Task.sleep(nanoseconds: 20_000_000)
                remaining = try await store.sessionCount()
            }
            for job in jobs { job.cancel() }
            // then only the live one is left, and the jobs stop when cancelled
            #expect(remaining == 1)
            for job in jobs { try await job.value }
        }
    }

    @Test(arguments: StoreKind.available)
    func oneRoundForgetsStaleCountersAndLogEntriesPastRetention(kind: StoreKind) async throws {
        try await kind.with { store in
            // given a stale counter and a live one, and log entries 100 and 10 days old
            let now = Date(timeIntervalSince1970: 1_800_000_000)
            let stale = CounterKey(.loginAddress, address: "198.51.100.7")
            let live = CounterKey(.loginAccount, email: "ada@example.com")
            _ = try await store.addFailure([stale: 60], at: now.addingTimeInterval(-3600))
            _ = try await store.addFailure([live: 3600], at: now)
            try await store.insertEvent(SecurityEvent(.loginFailed, at: now.addingTimeInterval(-100 * 86400)))
            try await store.insertEvent(SecurityEvent(.loginFailed, at: now.addingTimeInterval(-10 * 86400)))
            // when one round runs with 90 days' retention
            try await PurgeService(store: store, interval: 600, auditRetention: 90 * 86400, clock: { now }, logger: Logger(label: "test")).purge()
            // then the stale counter and the old entry are gone
            #expect(Set(try await store.counters([stale, live]).keys) == [live])
            #expect(try await store.events(email: nil, since: nil, limit: 10).count == 1)
        }
    }
}
