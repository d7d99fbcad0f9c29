import Foundation
@_spi(Testing) import LithTestSupport
import Testing

@_spi(Testing) @testable import Lith

/// What every store must do with throttle counters (``CounterStore``), run against each store.
@Suite("Counter store")
struct CounterStoreTests {
    static let pair = CounterKey(.loginPair, email: "ada@example.com", address: "192.0.2.1")
    static let account = CounterKey(.loginAccount, email: "ada@example.com")
    static let address = CounterKey(.loginAddress, address: "192.0.2.1")
    static let hour: TimeInterval = 3600

    @Test(arguments: StoreKind.available)
    func eachFailureIsCountedUnderEveryKeyItNames(kind: StoreKind) async throws {
        try await kind.with { store in
            // given no counters
            #expect(try await store.counters([Self.pair, Self.account]).isEmpty)
            // when two failures are counted a minute apart
            _ = try await store.addFailure([Self.pair: Self.hour, Self.account: Self.hour], at: Fixtures.now)
            let after = try await store.addFailure([Self.pair: Self.hour, Self.account: Self.hour], at: Fixtures.now.addingTimeInterval(60))
            // then both keys count two, remember when, and read back the same
            for key in [Self.pair, Self.account] {
                let counter = try #require(after[key])
                #expect(counter.failures == 2)
                #expect(counter.lastFailureAt == Fixtures.now.addingTimeInterval(60))
                #expect(counter.previousFailureAt == Fixtures.now)
                #expect(counter.failuresExpireAt == Fixtures.now.addingTimeInterval(60 + Self.hour))
            }
            #expect(try await store.counters([Self.pair, Self.account, Self.address]) == after)
        }
    }

    @Test(arguments: StoreKind.available)
    func fiftyConcurrentFailuresAreFiftyCounted(kind: StoreKind) async throws {
        try await kind.with { store in
            // when fifty failures for one account arrive at once
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<50 {
                    group.addTask { _ = try await store.addFailure([Self.pair: Self.hour, Self.account: Self.hour], at: Fixtures.now) }
                }
                try await group.waitForAll()
            }
            // then not one was lost to a race
            let counters = try await store.counters([Self.pair, Self.account])
            #expect(counters[Self.pair]?.failures == 50)
            #expect(counters[Self.account]?.failures == 50)
        }
    }

    @Test(arguments: StoreKind.available)
    func aFailureAfterTheOldOnesExpiredStartsAgainAtOne(kind: StoreKind) async throws {
        try await kind.with { store in
            // given three failures
            for _ in 0..<3 { _ = try await store.addFailure([Self.pair: 60], at: Fixtures.now) }
            // when another comes after they have expired
            let after = try await store.addFailure([Self.pair: 60], at: Fixtures.now.addingTimeInterval(61))
            // then it is the first again
            #expect(after[Self.pair]?.failures == 1)
            #expect(after[Self.pair]?.previousFailureAt == nil)
        }
    }

    @Test(arguments: StoreKind.available)
    func aSuccessClearsThePairRemembersItsAddressAndGivesBackOneFailureElsewhere(kind: StoreKind) async throws {
        try await kind.with { store in
            // given three failures under all three keys
            let all = [Self.pair: Self.hour, Self.account: Self.hour, Self.address: Self.hour]
            for _ in 0..<3 { _ = try await store.addFailure(all, at: Fixtures.now) }
            // when a login succeeds
            let knownUntil = Fixtures.now.addingTimeInterval(30 * 86400)
            try await store.recordSuccess(pair: Self.pair, others: [Self.account, Self.address], knownUntil: knownUntil)
            // then the pair starts over and is known; the others lost the success's own count
            let counters = try await store.counters(Array(all.keys))
            #expect(counters[Self.pair]?.failures == 0)
            #expect(counters[Self.pair]?.knownUntil == knownUntil)
            #expect(counters[Self.account]?.failures == 2)
            #expect(counters[Self.address]?.failures == 2)
            #expect(counters[Self.account]?.knownUntil == nil)
        }
    }

    @Test(arguments: StoreKind.available)
    func aSuccessWithNoFailureBeforeStillRemembersTheAddress(kind: StoreKind) async throws {
        try await kind.with { store in
            // given a pair that never failed
            // when it succeeds
            try await store.recordSuccess(pair: Self.pair, others: [], knownUntil: Fixtures.now.addingTimeInterval(Self.hour))
            // then its address is known, with nothing counted
            let counter = try #require(try await store.counters([Self.pair])[Self.pair])
            #expect(counter.isKnown(at: Fixtures.now))
            #expect(counter.failures == 0)
            #expect(try await store.activeCounters(now: Fixtures.now).isEmpty)
        }
    }

    @Test(arguments: StoreKind.available)
    func unlockingAnAccountForgetsItsCountersAndNoOneElses(kind: StoreKind) async throws {
        try await kind.with { store in
            // given counters for Ada, for her address, and for Bob
            let bob = CounterKey(.loginAccount, email: "bob@example.com")
            _ = try await store.addFailure(
                [Self.pair: Self.hour, Self.account: Self.hour, Self.address: Self.hour, bob: Self.hour],
                at: Fixtures.now
            )
            // when Ada's are deleted
            let deleted = try await store.deleteCounters(email: "ada@example.com")
            // then hers are gone; the address's and Bob's stay
            #expect(deleted == 2)
            let left = try await store.counters([Self.pair, Self.account, Self.address, bob])
            #expect(Set(left.keys) == [Self.address, bob])
        }
    }

    @Test(arguments: StoreKind.available)
    func activeCountersAreThoseWithUnexpiredFailuresMostFirst(kind: StoreKind) async throws {
        try await kind.with { store in
            // given two failures for the account, one for the address, one long expired
            let old = CounterKey(.loginAccount, email: "old@example.com")
            _ = try await store.addFailure([old: 60], at: Fixtures.now.addingTimeInterval(-3600))
            _ = try await store.addFailure([Self.account: Self.hour, Self.address: Self.hour], at: Fixtures.now)
            _ = try await store.addFailure([Self.account: Self.hour], at: Fixtures.now)
            // then the live ones are listed, most failures first
            let active = try await store.activeCounters(now: Fixtures.now)
            #expect(active.map(\.key) == [Self.account, Self.address])
        }
    }

    @Test(arguments: StoreKind.available)
    func thePurgeForgetsExpiredCountersButKeepsKnownAddresses(kind: StoreKind) async throws {
        try await kind.with { store in
            // given an expired counter, a live one, and an expired pair whose address is known
            let stale = CounterKey(.loginAddress, address: "198.51.100.7")
            _ = try await store.addFailure([stale: 60, Self.pair: 60, Self.account: Self.hour], at: Fixtures.now)
            try await store.recordSuccess(pair: Self.pair, others: [], knownUntil: Fixtures.now.addingTimeInterval(86400))
            // when the purge runs after the short counters expired
            let purged = try await store.deleteExpiredCounters(now: Fixtures.now.addingTimeInterval(120))
            // then only the stale one went; purging again removes nothing
            #expect(purged == 1)
            #expect(Set(try await store.counters([stale, Self.pair, Self.account]).keys) == [Self.pair, Self.account])
            #expect(try await store.deleteExpiredCounters(now: Fixtures.now.addingTimeInterval(120)) == 0)
        }
    }
}
