import Foundation
@_spi(Testing) import Lith
@_spi(Testing) import LithTestSupport
import Logging
import Testing

@Suite("Session purge job")
struct SessionPurgeTests {
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
                Task { try await SessionPurgeService(store: store, interval: 0.05, clock: { now }, logger: Logger(label: "test")).run() }
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
}
