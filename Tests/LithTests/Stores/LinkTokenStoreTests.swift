import Foundation
@_spi(Testing) import LithTestSupport
import Testing

@_spi(Testing) @testable import Lith

/// What every store must do with mailed links and the outbox (``LinkTokenStore``, ``OutboxStore``), run against each store.
@Suite("Link token store")
struct LinkTokenStoreTests {
    static let mail = OutgoingMail(
        from: try! EmailAddress("no-reply@example.com"),
        to: try! EmailAddress("ada@example.com"),
        data: "Subject: hello\r\n\r\nhi\r\n"
    )

    static func record(_ user: User, at minute: Int = 0, lifetime: TimeInterval = 3600) -> LinkTokenRecord {
        let created = Fixtures.now.addingTimeInterval(Double(minute) * 60)
        return LinkTokenRecord(purpose: .passwordReset, userID: user.id, createdAt: created, expiresAt: created.addingTimeInterval(lifetime))
    }

    @Test(arguments: StoreKind.available)
    func anIssuedLinkIsFoundByItsDigestAndItsMailIsQueued(kind: StoreKind) async throws {
        try await kind.with { store in
            // given Ada and a link issued for her
            let ada = try await store.insertUser(email: EmailAddress("ada@example.com"), passwordHash: Fixtures.hash, at: Fixtures.now)
            let token = LinkToken.generate()
            try await store.issueLink(digest: token.digest, record: Self.record(ada), mail: Self.mail)
            // then the link is found by its digest, and its mail is due
            #expect(try await store.link(digest: token.digest, purpose: .passwordReset) == Self.record(ada))
            let due = try await store.claimDueMail(now: Fixtures.now, lease: 60, limit: 10)
            #expect(due.map(\.mail) == [Self.mail])
        }
    }

    @Test(arguments: StoreKind.available)
    func aNewerLinkReplacesTheOlderOne(kind: StoreKind) async throws {
        try await kind.with { store in
            let ada = try await store.insertUser(email: EmailAddress("ada@example.com"), passwordHash: Fixtures.hash, at: Fixtures.now)
            let first = LinkToken.generate()
            let second = LinkToken.generate()
            try await store.issueLink(digest: first.digest, record: Self.record(ada), mail: nil)
            // when a second link is issued
            try await store.issueLink(digest: second.digest, record: Self.record(ada, at: 1), mail: nil)
            // then only the second works
            #expect(try await store.link(digest: first.digest, purpose: .passwordReset) == nil)
            #expect(try await store.link(digest: second.digest, purpose: .passwordReset) != nil)
        }
    }

    @Test(arguments: StoreKind.available)
    func aLinkIsUsedUpOnceEvenByConcurrentRequests(kind: StoreKind) async throws {
        try await kind.with { store in
            let ada = try await store.insertUser(email: EmailAddress("ada@example.com"), passwordHash: Fixtures.hash, at: Fixtures.now)
            let token = LinkToken.generate()
            try await store.issueLink(digest: token.digest, record: Self.record(ada), mail: nil)
            // when ten requests use it at once
            let used = try await withThrowingTaskGroup(of: Bool.self) { group in
                for _ in 0..<10 { group.addTask { try await store.useLink(digest: token.digest, purpose: .passwordReset) != nil } }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            // then one of them got it, and it is gone
            #expect(used == 1)
            #expect(try await store.link(digest: token.digest, purpose: .passwordReset) == nil)
        }
    }

    @Test(arguments: StoreKind.available)
    func deletingAUsersLinksAndExpiredOnes(kind: StoreKind) async throws {
        try await kind.with { store in
            let ada = try await store.insertUser(email: EmailAddress("ada@example.com"), passwordHash: Fixtures.hash, at: Fixtures.now)
            let bob = try await store.insertUser(email: EmailAddress("bob@example.com"), passwordHash: Fixtures.hash, at: Fixtures.now)
            let adas = LinkToken.generate()
            let bobs = LinkToken.generate()
            try await store.issueLink(digest: adas.digest, record: Self.record(ada), mail: nil)
            try await store.issueLink(digest: bobs.digest, record: Self.record(bob, lifetime: 60), mail: nil)
            // when Ada's links are deleted, and expired ones purged two minutes on
            try await store.deleteLinks(userID: ada.id, purpose: .passwordReset)
            let purged = try await store.deleteExpiredLinks(now: Fixtures.now.addingTimeInterval(120))
            // then neither is left
            #expect(purged == 1)
            #expect(try await store.link(digest: adas.digest, purpose: .passwordReset) == nil)
            #expect(try await store.link(digest: bobs.digest, purpose: .passwordReset) == nil)
        }
    }

    @Test(arguments: StoreKind.available)
    func concurrentSendersClaimEachMessageOnce(kind: StoreKind) async throws {
        try await kind.with { store in
            // given twenty queued messages
            for _ in 0..<20 { try await store.enqueue(Self.mail, at: Fixtures.now) }
            // when four senders claim at once, five at a time, until nothing is left
            let claimed = try await withThrowingTaskGroup(of: [Int64].self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        var mine: [Int64] = []
                        while true {
                            let batch = try await store.claimDueMail(now: Fixtures.now, lease: 60, limit: 5)
                            if batch.isEmpty { return mine }
                            mine += batch.map(\.id)
                        }
                    }
                }
                return try await group.reduce(into: [Int64]()) { $0 += $1 }
            }
            // then every message went to exactly one sender
            #expect(claimed.count == 20)
            #expect(Set(claimed).count == 20)
        }
    }

    @Test(arguments: StoreKind.available)
    func aClaimedMessageComesBackWhenItsLeaseRunsOut(kind: StoreKind) async throws {
        try await kind.with { store in
            try await store.enqueue(Self.mail, at: Fixtures.now)
            let first = try await store.claimDueMail(now: Fixtures.now, lease: 60, limit: 10)
            // while leased nobody else gets it; after the lease (its sender died) it is due again
            #expect(try await store.claimDueMail(now: Fixtures.now.addingTimeInterval(30), lease: 60, limit: 10).isEmpty)
            let again = try await store.claimDueMail(now: Fixtures.now.addingTimeInterval(61), lease: 60, limit: 10)
            #expect(again.map(\.id) == first.map(\.id))
            #expect(again.first?.attempts == 2)
        }
    }

    @Test(arguments: StoreKind.available)
    func aFailedMessageWaitsForItsRetryAndAPermanentFailureEndsIt(kind: StoreKind) async throws {
        try await kind.with { store in
            try await store.enqueue(Self.mail, at: Fixtures.now)
            try await store.enqueue(Self.mail, at: Fixtures.now)
            let claimed = try await store.claimDueMail(now: Fixtures.now, lease: 60, limit: 10)
            // when the first fails for now (retry in 30 s) and the second for good
            try await store.markFailed(claimed[0].id, error: "421 busy", retryAt: Fixtures.now.addingTimeInterval(30), at: Fixtures.now)
            try await store.markFailed(claimed[1].id, error: "550 no such user", retryAt: nil, at: Fixtures.now)
            // then only the first comes back, and only after 30 s
            #expect(try await store.claimDueMail(now: Fixtures.now.addingTimeInterval(10), lease: 60, limit: 10).isEmpty)
            #expect(try await store.claimDueMail(now: Fixtures.now.addingTimeInterval(31), lease: 60, limit: 10).map(\.id) == [claimed[0].id])
            let entries = try await store.outbox(limit: 10)
            #expect(entries.first { $0.id == claimed[1].id }?.status == .failed)
            #expect(entries.first { $0.id == claimed[1].id }?.lastError == "550 no such user")
        }
    }

    @Test(arguments: StoreKind.available)
    func sentMailIsNotSentAgainAndIsForgottenAfterRetention(kind: StoreKind) async throws {
        try await kind.with { store in
            try await store.enqueue(Self.mail, at: Fixtures.now)
            let claimed = try await store.claimDueMail(now: Fixtures.now, lease: 60, limit: 10)
            try await store.markSent(claimed[0].id, at: Fixtures.now)
            // then it is listed as sent, never claimed again, and purged once past the cutoff
            #expect(try await store.outbox(limit: 10).map(\.status) == [.sent])
            #expect(try await store.claimDueMail(now: Fixtures.now.addingTimeInterval(3600), lease: 60, limit: 10).isEmpty)
            #expect(try await store.deleteFinishedMail(before: Fixtures.now) == 0)
            #expect(try await store.deleteFinishedMail(before: Fixtures.now.addingTimeInterval(1)) == 1)
        }
    }
}
