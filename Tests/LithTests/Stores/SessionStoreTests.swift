import Foundation
@_spi(Testing) import LithTestSupport
import Testing

@_spi(Testing) @testable import Lith

/// What every store must do with sessions (``SessionStore``), run against each store.
@Suite("Session store")
struct SessionStoreTests {
    static func ada(_ store: any Store) async throws -> User {
        try await store.insertUser(email: try EmailAddress("ada@example.com"), passwordHash: Fixtures.hash, at: Fixtures.now)
    }

    @Test(arguments: StoreKind.available)
    func aSessionIsFoundWithItsUserByItsDigestOnly(kind: StoreKind) async throws {
        try await kind.with { store in
            // given a stored session
            let user = try await Self.ada(store)
            let token = SessionToken.generate()
            let stored = Fixtures.session(token, user: user)
            try await store.insertSession(stored)
            // then its digest finds it and its user, and another digest finds nothing
            let (session, owner) = try #require(try await store.session(digest: token.digest))
            #expect(owner == user)
            #expect(session == stored)
            #expect(try await store.session(digest: SessionToken.generate().digest) == nil)
        }
    }

    @Test(arguments: StoreKind.available)
    func anExpiredSessionIsStillReturnedForTheCallerToJudge(kind: StoreKind) async throws {
        try await kind.with { store in
            // given a session whose deadlines have passed by the store's clock
            let user = try await Self.ada(store)
            let token = SessionToken.generate()
            try await store.insertSession(Fixtures.session(token, user: user, at: Fixtures.now.addingTimeInterval(-86400), lifetime: 60, idle: 60))
            // then the store still returns it: expiry is SessionPolicy's decision
            #expect(try await store.session(digest: token.digest) != nil)
        }
    }

    @Test(arguments: StoreKind.available)
    func manyLookupsAtOnceEachFindTheirOwnSessionOrNone(kind: StoreKind) async throws {
        try await kind.with { store in
            var owners: [(SessionToken, User?)] = []
            for index in 0..<12 {
                let user = try await store.insertUser(
                    email: try EmailAddress("user\(index)@example.com"),
                    passwordHash: Fixtures.hash,
                    at: Fixtures.now
                )
                let token = SessionToken.generate()
                try await store.insertSession(Fixtures.session(token, user: user))
                owners.append((token, user))
            }
            owners.append((SessionToken.generate(), nil))  // never stored
            try await store.deleteSession(digest: owners[0].0.digest)
            owners[0].1 = nil

            // Repeated, so lookups on a batching store share queries.
            try await withThrowingTaskGroup(of: (SessionToken, User?, User?).self) { group in
                for _ in 0..<8 {
                    for (token, owner) in owners {
                        group.addTask { (token, owner, try await store.session(digest: token.digest)?.1) }
                    }
                }
                for try await (token, expected, found) in group {
                    #expect(found == expected, "lookup of \(token.digest.hex.prefix(8))")
                }
            }
        }
    }

    @Test(arguments: StoreKind.available)
    func touchingASessionMovesLastSeenAndTouchingAMissingOneIsNoError(kind: StoreKind) async throws {
        try await kind.with { store in
            let user = try await Self.ada(store)
            let token = SessionToken.generate()
            try await store.insertSession(Fixtures.session(token, user: user))
            try await store.touchSession(digest: token.digest, lastSeenAt: Fixtures.now.addingTimeInterval(120))
            #expect(try await store.session(digest: token.digest)?.0.lastSeenAt == Fixtures.now.addingTimeInterval(120))
            try await store.touchSession(digest: SessionToken.generate().digest, lastSeenAt: Fixtures.now)
        }
    }

    @Test(arguments: StoreKind.available)
    func deletingOneSessionLeavesTheOthersAndIsIdempotent(kind: StoreKind) async throws {
        try await kind.with { store in
            let user = try await Self.ada(store)
            let (one, other) = (SessionToken.generate(), SessionToken.generate())
            try await store.insertSession(Fixtures.session(one, user: user))
            try await store.insertSession(Fixtures.session(other, user: user))
            try await store.deleteSession(digest: one.digest)
            try await store.deleteSession(digest: one.digest)
            #expect(try await store.session(digest: one.digest) == nil)
            #expect(try await store.session(digest: other.digest) != nil)
        }
    }

    @Test(arguments: StoreKind.available)
    func deletingAUsersSessionsLeavesOtherUsersAlone(kind: StoreKind) async throws {
        try await kind.with { store in
            let ada = try await Self.ada(store)
            let bob = try await store.insertUser(email: try EmailAddress("bob@example.com"), passwordHash: Fixtures.hash, at: Fixtures.now)
            let adas = (0..<3).map { _ in SessionToken.generate() }
            for token in adas { try await store.insertSession(Fixtures.session(token, user: ada)) }
            let bobs = SessionToken.generate()
            try await store.insertSession(Fixtures.session(bobs, user: bob))
            try await store.deleteSessions(userID: ada.id)
            for token in adas { #expect(try await store.session(digest: token.digest) == nil) }
            #expect(try await store.session(digest: bobs.digest) != nil)
            try await store.deleteSessions(userID: ada.id)
        }
    }

    @Test(arguments: StoreKind.available)
    func expiredSessionsArePurgedByEitherDeadline(kind: StoreKind) async throws {
        try await kind.with { store in
            let user = try await Self.ada(store)
            let live = SessionToken.generate()
            try await store.insertSession(Fixtures.session(live, user: user, lifetime: 3600, idle: 600))
            try await store.insertSession(Fixtures.session(SessionToken.generate(), user: user, lifetime: 60, idle: 600))  // absolute
            try await store.insertSession(Fixtures.session(SessionToken.generate(), user: user, lifetime: 3600, idle: 30))  // idle
            #expect(try await store.deleteExpiredSessions(now: Fixtures.now.addingTimeInterval(100)) == 2)
            #expect(try await store.sessionCount() == 1)
            #expect(try await store.session(digest: live.digest) != nil)
            #expect(try await store.deleteExpiredSessions(now: Fixtures.now.addingTimeInterval(100)) == 0)
        }
    }

    @Test(arguments: StoreKind.available)
    func onlyTheDigestIsStoredNeverTheToken(kind: StoreKind) async throws {
        try await kind.with { store in
            let user = try await Self.ada(store)
            let token = SessionToken.generate()
            try await store.insertSession(Fixtures.session(token, user: user))
            let texts = try await Self.sessionTexts(store)
            #expect(texts.contains(token.digest.hex))
            #expect(!texts.contains { $0.contains(token.cookieValue) })
        }
    }

    @Test(arguments: StoreKind.available)
    func aUsersSessionsAreListedMostRecentlyActiveFirstAndNoOneElses(kind: StoreKind) async throws {
        try await kind.with { store in
            // given two sessions of Ada's, the second active later, and one of Bob's
            let ada = try await Self.ada(store)
            let bob = try await store.insertUser(email: try EmailAddress("bob@example.com"), passwordHash: Fixtures.hash, at: Fixtures.now)
            let older = Fixtures.session(SessionToken.generate(), user: ada)
            let newer = Fixtures.session(SessionToken.generate(), user: ada, at: Fixtures.now.addingTimeInterval(60))
            try await store.insertSession(older)
            try await store.insertSession(newer)
            try await store.insertSession(Fixtures.session(SessionToken.generate(), user: bob))
            // when Ada's sessions are listed
            let listed = try await store.sessions(userID: ada.id)
            // then both of hers come back, as stored, newest activity first
            #expect(listed == [newer, older])
        }
    }

    @Test(arguments: StoreKind.available)
    func aSessionIsEndedByItsIdOnlyForItsOwner(kind: StoreKind) async throws {
        try await kind.with { store in
            // given a session of Ada's
            let ada = try await Self.ada(store)
            let bob = try await store.insertUser(email: try EmailAddress("bob@example.com"), passwordHash: Fixtures.hash, at: Fixtures.now)
            let session = Fixtures.session(SessionToken.generate(), user: ada)
            try await store.insertSession(session)
            // when Bob names its id (an insecure direct object reference)
            let endedByBob = try await store.deleteSession(id: session.id, userID: bob.id)
            // then nothing changes; when Ada names it, it ends
            #expect(!endedByBob)
            #expect(try await store.session(digest: session.tokenDigest) != nil)
            #expect(try await store.deleteSession(id: session.id, userID: ada.id))
            #expect(try await store.session(digest: session.tokenDigest) == nil)
            #expect(try await !store.deleteSession(id: session.id, userID: ada.id))
        }
    }

    @Test(arguments: StoreKind.available)
    func endingEveryOtherSessionKeepsOnlyTheOneNamedAndOtherUsersSessions(kind: StoreKind) async throws {
        try await kind.with { store in
            // given three sessions of Ada's and one of Bob's
            let ada = try await Self.ada(store)
            let bob = try await store.insertUser(email: try EmailAddress("bob@example.com"), passwordHash: Fixtures.hash, at: Fixtures.now)
            let tokens = (0..<3).map { _ in SessionToken.generate() }
            for token in tokens { try await store.insertSession(Fixtures.session(token, user: ada)) }
            let bobs = SessionToken.generate()
            try await store.insertSession(Fixtures.session(bobs, user: bob))
            // when every session of Ada's but the first ends
            let ended = try await store.deleteSessions(userID: ada.id, except: tokens[0].digest)
            // then two ended, the first and Bob's live on
            #expect(ended == 2)
            #expect(try await store.session(digest: tokens[0].digest) != nil)
            #expect(try await store.session(digest: tokens[1].digest) == nil)
            #expect(try await store.session(digest: bobs.digest) != nil)
        }
    }

    /// Every text column of every session row, read with SQL of the test's own.
    static func sessionTexts(_ store: any Store) async throws -> [String] {
        switch store {
        case let sqlite as SQLiteStore:
            return try sqlite.read(.session, "SELECT token_hash, COALESCE(user_agent, ''), COALESCE(ip, '') FROM sessions") {
                [$0.text(0) ?? "", $0.text(1) ?? "", $0.text(2) ?? ""]
            }.flatMap { $0 }
        case let postgres as PostgresStore:
            return try await postgres.run(.session) { connection in
                var texts: [String] = []
                for try await row in try await connection.query("SELECT token_hash, COALESCE(user_agent, ''), COALESCE(ip, '') FROM sessions")
                    .decode((String, String, String).self)
                {
                    texts += [row.0, row.1, row.2]
                }
                return texts
            }
        default:
            fatalError()
        }
    }
}
