import Foundation
@_spi(Testing) import LithTestSupport
import Testing

@_spi(Testing) @testable import Lith

/// What every store must do with the security log (``SecurityEventStore``), run against each store.
@Suite("Security event store")
struct SecurityEventStoreTests {
    static func event(_ kind: SecurityEvent.Kind, minute: Int, user: User.ID? = 1, email: String? = "ada@example.com") throws -> SecurityEvent {
        SecurityEvent(
            kind,
            at: Fixtures.now.addingTimeInterval(Double(minute) * 60),
            userID: user,
            email: try email.map { try EmailAddress($0) },
            address: "192.0.2.1",
            browser: "Firefox on Linux",
            sessionID: SessionID.generate()
        )
    }

    @Test(arguments: StoreKind.available)
    func anEventIsReadBackWithEveryField(kind: StoreKind) async throws {
        try await kind.with { store in
            // given one event with every field set, and one with none of the optional ones
            let full = try Self.event(.loginSucceeded, minute: 0)
            let bare = SecurityEvent(.loginFailed, at: Fixtures.now.addingTimeInterval(60))
            try await store.insertEvent(full)
            try await store.insertEvent(bare)
            // then both come back exactly, oldest first
            #expect(try await store.events(email: nil, since: nil, limit: 10) == [full, bare])
        }
    }

    @Test(arguments: StoreKind.available)
    func aRepeatedEventIsWrittenOncePerWindow(kind: StoreKind) async throws {
        try await kind.with { store in
            // given a throttled-login entry for Ada at minute 0
            let since = { (minute: Int) in Fixtures.now.addingTimeInterval(Double(minute) * 60 - 59) }
            #expect(try await store.insertEvent(try Self.event(.loginThrottled, minute: 0), unlessRecordedSince: since(0)))
            // when the same entry comes again within the minute, from another address, and a minute later
            let again = try await store.insertEvent(try Self.event(.loginThrottled, minute: 0), unlessRecordedSince: since(0))
            let elsewhere = SecurityEvent(
                .loginThrottled,
                at: Fixtures.now,
                userID: 1,
                email: try EmailAddress("ada@example.com"),
                address: "198.51.100.7"
            )
            let otherAddress = try await store.insertEvent(elsewhere, unlessRecordedSince: since(0))
            let nextMinute = try await store.insertEvent(try Self.event(.loginThrottled, minute: 1), unlessRecordedSince: since(1))
            // then only the repeat within the minute was left out
            #expect(!again)
            #expect(otherAddress)
            #expect(nextMinute)
            #expect(try await store.events(email: nil, since: nil, limit: 10).count == 3)
        }
    }

    @Test(arguments: StoreKind.available)
    func concurrentRepeatsAreWrittenOnce(kind: StoreKind) async throws {
        try await kind.with { store in
            // when ten writers record the same entry at once (a fleet's instances)
            let event = try Self.event(.loginThrottled, minute: 0)
            let written = try await withThrowingTaskGroup(of: Bool.self) { group in
                for _ in 0..<10 { group.addTask { try await store.insertEvent(event, unlessRecordedSince: event.at.addingTimeInterval(-60)) } }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            // then one of them wrote it
            #expect(written == 1)
            #expect(try await store.events(email: nil, since: nil, limit: 10).count == 1)
        }
    }

    @Test(arguments: StoreKind.available)
    func aUsersLatestEventsComeNewestFirstUpToTheLimit(kind: StoreKind) async throws {
        try await kind.with { store in
            // given five events of user 1 and one of user 2
            for minute in 0..<5 { try await store.insertEvent(try Self.event(.loginSucceeded, minute: minute)) }
            try await store.insertEvent(try Self.event(.logout, minute: 9, user: 2, email: "bob@example.com"))
            // when user 1's latest three are asked for
            let events = try await store.events(userID: 1, limit: 3)
            // then they are minutes 4, 3, 2
            #expect(events.map(\.at) == [4, 3, 2].map { Fixtures.now.addingTimeInterval(Double($0) * 60) })
            #expect(events.allSatisfy { $0.userID == 1 })
        }
    }

    @Test(arguments: StoreKind.available)
    func eventsAreFoundByEmailAndSinceATime(kind: StoreKind) async throws {
        try await kind.with { store in
            // given Ada's events at minutes 0 and 10, Bob's at 5
            try await store.insertEvent(try Self.event(.loginFailed, minute: 0))
            try await store.insertEvent(try Self.event(.loginFailed, minute: 5, user: 2, email: "bob@example.com"))
            try await store.insertEvent(try Self.event(.loginSucceeded, minute: 10))
            // then Ada's since minute 1 is the one at 10, and everyone's since 1 two
            let ada = try EmailAddress("ada@example.com")
            let since = Fixtures.now.addingTimeInterval(60)
            #expect(try await store.events(email: ada, since: since, limit: 10).map(\.kind) == [.loginSucceeded])
            #expect(try await store.events(email: nil, since: since, limit: 10).count == 2)
            #expect(try await store.events(email: ada, since: nil, limit: 10).count == 2)
        }
    }

    @Test(arguments: StoreKind.available)
    func retentionDeletesOnlyEventsBeforeTheCutoff(kind: StoreKind) async throws {
        try await kind.with { store in
            for minute in [0, 1, 2] { try await store.insertEvent(try Self.event(.loginSucceeded, minute: minute)) }
            #expect(try await store.deleteEvents(before: Fixtures.now.addingTimeInterval(90)) == 2)
            #expect(try await store.events(email: nil, since: nil, limit: 10).count == 1)
            #expect(try await store.deleteEvents(before: Fixtures.now.addingTimeInterval(90)) == 0)
        }
    }
}
