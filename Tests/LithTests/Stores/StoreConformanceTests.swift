import Foundation
@testable import Lith
import Testing

/// What every store must do, run against each one.
@Suite("Store conformance")
struct StoreConformanceTests {
    /// Says loudly, as a skipped test, when PostgreSQL isn't being tested.
    @Test(
        "PostgreSQL store is reachable",
        .enabled(
            if: PostgresTestDatabase.url != nil || PostgresTestDatabase.isCI,
            "LITH_TEST_POSTGRES_URL is not set: the PostgreSQL store tests are skipped (scripts/postgres.sh start prints a URL)"))
    func postgresStoreIsReachable() async throws {
        try await StoreKind.postgres.with { store in
            let sessions = try await store.sessionCount()
            #expect(sessions == 0)
        }
    }

    static let now = Date(timeIntervalSince1970: 1_800_000_000)
    static let hash = try! PasswordHash(encoded: "$scrypt$ln=4,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")

    static func session(_ token: SessionToken, user: User, at now: Date = now, lifetime: TimeInterval = 3600, idle: TimeInterval = 600) -> SessionRecord {
        SessionRecord(
            tokenDigest: token.digest, userID: user.id, createdAt: now, lastSeenAt: now, expiresAt: now.addingTimeInterval(lifetime),
            idleTimeout: idle, rememberMe: false, userAgent: "test-agent", ipAddress: "127.0.0.1")
    }

    @Test(arguments: StoreKind.available)
    func aUserRoundTrips(kind: StoreKind) async throws {
        try await kind.with { store in
            let email = try EmailAddress("ada@example.com")
            let created = try await store.insertUser(email: email, passwordHash: Self.hash, at: Self.now)
            let found = try #require(try await store.user(email: email))
            #expect(found == created)
            #expect(found.createdAt == Self.now)
            #expect(try await store.users() == [created])
            let (owner, hash) = try #require(try await store.credentials(email: email))
            #expect(owner == created)
            #expect(hash == Self.hash)
        }
    }

    @Test(arguments: StoreKind.available)
    func aSecondAccountForOneEmailIsRefused(kind: StoreKind) async throws {
        try await kind.with { store in
            let email = try EmailAddress("ada@example.com")
            _ = try await store.insertUser(email: email, passwordHash: Self.hash, at: Self.now)
            await #expect(throws: StoreError.emailTaken) {
                _ = try await store.insertUser(email: try EmailAddress("ADA@example.com"), passwordHash: Self.hash, at: Self.now)
            }
        }
    }

    @Test(arguments: StoreKind.available)
    func concurrentInsertsOfOneEmailCreateOneAccount(kind: StoreKind) async throws {
        try await kind.with { store in
            let email = try EmailAddress("race@example.com")
            let results = await withTaskGroup(of: Bool.self) { group in
                for _ in 0..<10 {
                    group.addTask { (try? await store.insertUser(email: email, passwordHash: Self.hash, at: Self.now)) != nil }
                }
                return await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(results.filter { $0 }.count == 1)
            #expect(try await store.users().count == 1)
        }
    }

    @Test(arguments: StoreKind.available)
    func aSessionIsFoundWithItsUserByDigest(kind: StoreKind) async throws {
        try await kind.with { store in
            let user = try await store.insertUser(email: try EmailAddress("ada@example.com"), passwordHash: Self.hash, at: Self.now)
            let token = SessionToken.generate()
            try await store.insertSession(Self.session(token, user: user))
            let (session, owner) = try #require(try await store.session(digest: token.digest))
            #expect(owner == user)
            #expect(session == Self.session(token, user: user))
            #expect(try await store.session(digest: SessionToken.generate().digest) == nil)
        }
    }

    @Test(arguments: StoreKind.available)
    func manyLookupsAtOnceEachFindTheirOwnSessionOrNone(kind: StoreKind) async throws {
        try await kind.with { store in
            var owners: [(SessionToken, User?)] = []
            for index in 0..<12 {
                let user = try await store.insertUser(email: try EmailAddress("user\(index)@example.com"), passwordHash: Self.hash, at: Self.now)
                let token = SessionToken.generate()
                try await store.insertSession(Self.session(token, user: user))
                owners.append((token, user))
            }
            owners.append((SessionToken.generate(), nil))  // never stored
            let deleted = owners[0].0
            try await store.deleteSession(digest: deleted.digest)
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
    func touchingASessionMovesLastSeen(kind: StoreKind) async throws {
        try await kind.with { store in
            let user = try await store.insertUser(email: try EmailAddress("ada@example.com"), passwordHash: Self.hash, at: Self.now)
            let token = SessionToken.generate()
            try await store.insertSession(Self.session(token, user: user))
            try await store.touchSession(digest: token.digest, lastSeenAt: Self.now.addingTimeInterval(120))
            #expect(try await store.session(digest: token.digest)?.0.lastSeenAt == Self.now.addingTimeInterval(120))
        }
    }

    @Test(arguments: StoreKind.available)
    func deletingSessionsOneOrAllOfAUser(kind: StoreKind) async throws {
        try await kind.with { store in
            let ada = try await store.insertUser(email: try EmailAddress("ada@example.com"), passwordHash: Self.hash, at: Self.now)
            let bob = try await store.insertUser(email: try EmailAddress("bob@example.com"), passwordHash: Self.hash, at: Self.now)
            let tokens = (0..<3).map { _ in SessionToken.generate() }
            for token in tokens { try await store.insertSession(Self.session(token, user: ada)) }
            let bobs = SessionToken.generate()
            try await store.insertSession(Self.session(bobs, user: bob))
            try await store.deleteSession(digest: tokens[0].digest)
            #expect(try await store.sessionCount() == 3)
            try await store.deleteSessions(userID: ada.id)
            #expect(try await store.sessionCount() == 1)
            #expect(try await store.session(digest: bobs.digest) != nil)
        }
    }

    @Test(arguments: StoreKind.available)
    func deletingAUserEndsItsSessions(kind: StoreKind) async throws {
        try await kind.with { store in
            let email = try EmailAddress("ada@example.com")
            let user = try await store.insertUser(email: email, passwordHash: Self.hash, at: Self.now)
            try await store.insertSession(Self.session(SessionToken.generate(), user: user))
            #expect(try await store.deleteUser(email: email))
            #expect(try await store.sessionCount() == 0)
            #expect(try await store.user(email: email) == nil)
            #expect(!(try await store.deleteUser(email: email)))
        }
    }

    @Test(arguments: StoreKind.available)
    func expiredSessionsArePurgedByEitherDeadline(kind: StoreKind) async throws {
        try await kind.with { store in
            let user = try await store.insertUser(email: try EmailAddress("ada@example.com"), passwordHash: Self.hash, at: Self.now)
            let live = SessionToken.generate()
            try await store.insertSession(Self.session(live, user: user, lifetime: 3600, idle: 600))
            try await store.insertSession(Self.session(SessionToken.generate(), user: user, lifetime: 60, idle: 600))  // absolute
            try await store.insertSession(Self.session(SessionToken.generate(), user: user, lifetime: 3600, idle: 30))  // idle
            #expect(try await store.deleteExpiredSessions(now: Self.now.addingTimeInterval(100)) == 2)
            #expect(try await store.sessionCount() == 1)
            #expect(try await store.session(digest: live.digest) != nil)
        }
    }

    @Test(arguments: StoreKind.available)
    func aPasswordHashCanBeReplaced(kind: StoreKind) async throws {
        try await kind.with { store in
            let email = try EmailAddress("ada@example.com")
            let user = try await store.insertUser(email: email, passwordHash: Self.hash, at: Self.now)
            let newer = try PasswordHash(encoded: "$scrypt$ln=5,r=8,p=1$BBBBBBBBBBBBBBBBBBBBBA$BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBA")
            try await store.updatePasswordHash(userID: user.id, to: newer)
            #expect(try await store.credentials(email: email)?.1 == newer)
        }
    }

    @Test(arguments: StoreKind.available)
    func theFirstSharedSecretWinsForEveryone(kind: StoreKind) async throws {
        try await kind.with { store in
            let first = try await store.sharedSecret(named: "k", candidate: [1, 2, 3])
            let second = try await store.sharedSecret(named: "k", candidate: [9, 9, 9])
            #expect(first == [1, 2, 3])
            #expect(second == [1, 2, 3])
        }
    }

    @Test(arguments: StoreKind.available)
    func migratingTwiceChangesNothing(kind: StoreKind) async throws {
        try await kind.with { store in
            _ = try await store.insertUser(email: try EmailAddress("ada@example.com"), passwordHash: Self.hash, at: Self.now)
            try await store.migrate()
            #expect(try await store.users().count == 1)
        }
    }
}

@Suite("PostgreSQL error mapping")
struct PostgresErrorMappingTests {
    @Test(arguments: ["08006", "53300", "57P01", "40001", "40P01", "25006"])
    func transientServerErrorsMeanUnavailable(sqlState: String) {
        #expect(PostgresStore.meansUnavailable(sqlState: sqlState))
    }

    @Test(arguments: ["23505", "42P01", "22001", nil])
    func otherServerErrorsAreFailures(sqlState: String?) {
        #expect(!PostgresStore.meansUnavailable(sqlState: sqlState))
    }
}
