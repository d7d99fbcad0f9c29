import Foundation
@_spi(Testing) import LithTestSupport
import Testing

@_spi(Testing) @testable import Lith

/// What every store must do with accounts (``UserStore``), run against each store.
@Suite("User store")
struct UserStoreTests {
    /// Says loudly, as a skipped test, when PostgreSQL isn't being tested.
    @Test(
        "PostgreSQL store is reachable",
        .enabled(
            if: PostgresTestDatabase.url != nil || PostgresTestDatabase.isCI,
            "LITH_TEST_POSTGRES_URL is not set: the PostgreSQL store tests are skipped (scripts/postgres.sh start prints a URL)"
        )
    )
    func postgresStoreIsReachable() async throws {
        try await StoreKind.postgres.with { store in
            let users = try await store.users()
            #expect(users.isEmpty)
        }
    }

    @Test(arguments: StoreKind.available)
    func anAccountCanBeFoundByEmailAndListedWithItsHashKeptForLogin(kind: StoreKind) async throws {
        try await kind.with { store in
            // given an account
            let email = try EmailAddress("ada@example.com")
            let created = try await store.insertUser(email: email, passwordHash: Fixtures.hash, at: Fixtures.now)
            // then it is found by email and listed, and its hash comes back as stored
            #expect(try await store.user(email: email) == created)
            #expect(try await store.user(email: email)?.createdAt == Fixtures.now)
            #expect(try await store.users() == [created])
            let (owner, hash) = try #require(try await store.credentials(email: email))
            #expect(owner == created)
            #expect(hash == Fixtures.hash.encoded)
            #expect(try await store.user(email: try EmailAddress("bob@example.com")) == nil)
        }
    }

    @Test(arguments: StoreKind.available)
    func aSecondAccountForOneEmailIsRefused(kind: StoreKind) async throws {
        try await kind.with { store in
            _ = try await store.insertUser(email: try EmailAddress("ada@example.com"), passwordHash: Fixtures.hash, at: Fixtures.now)
            await #expect(throws: StoreError.emailTaken) {
                _ = try await store.insertUser(email: try EmailAddress("ADA@example.com"), passwordHash: Fixtures.hash, at: Fixtures.now)
            }
        }
    }

    @Test(arguments: StoreKind.available)
    func concurrentInsertsOfOneEmailCreateOneAccount(kind: StoreKind) async throws {
        try await kind.with { store in
            let email = try EmailAddress("race@example.com")
            let results = await withTaskGroup(of: Bool.self) { group in
                for _ in 0..<10 {
                    group.addTask { (try? await store.insertUser(email: email, passwordHash: Fixtures.hash, at: Fixtures.now)) != nil }
                }
                return await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(results.filter { $0 }.count == 1)
            #expect(try await store.users().count == 1)
        }
    }

    @Test(arguments: StoreKind.available)
    func deletingAnAccountEndsItsSessionsAndIsIdempotent(kind: StoreKind) async throws {
        try await kind.with { store in
            // given an account with a session
            let email = try EmailAddress("ada@example.com")
            let user = try await store.insertUser(email: email, passwordHash: Fixtures.hash, at: Fixtures.now)
            let token = SessionToken.generate()
            try await store.insertSession(Fixtures.session(token, user: user))
            // when it is deleted, then it and its session are gone, and deleting again says so
            #expect(try await store.deleteUser(email: email))
            #expect(try await store.session(digest: token.digest) == nil)
            #expect(try await store.user(email: email) == nil)
            #expect(!(try await store.deleteUser(email: email)))
        }
    }

    @Test(arguments: StoreKind.available)
    func anUpgradedHashReplacesTheOldOneAndLeavesPasswordChangedAtAlone(kind: StoreKind) async throws {
        try await kind.with { store in
            let email = try EmailAddress("ada@example.com")
            let user = try await store.insertUser(email: email, passwordHash: Fixtures.hash, at: Fixtures.now)
            let newer = try PasswordHash(encoded: "$scrypt$ln=5,r=8,p=1$BBBBBBBBBBBBBBBBBBBBBA$BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBA")
            try await store.upgradePasswordHash(userID: user.id, to: newer)
            #expect(try await store.credentials(email: email)?.passwordHash == newer.encoded)
            #expect(try await store.user(email: email)?.passwordChangedAt == Fixtures.now)
        }
    }

    @Test(arguments: StoreKind.available)
    func aChangedPasswordReplacesTheHashAndMovesPasswordChangedAt(kind: StoreKind) async throws {
        try await kind.with { store in
            // given an account
            let email = try EmailAddress("ada@example.com")
            let user = try await store.insertUser(email: email, passwordHash: Fixtures.hash, at: Fixtures.now)
            let newer = try PasswordHash(encoded: "$scrypt$ln=5,r=8,p=1$BBBBBBBBBBBBBBBBBBBBBA$BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBA")
            // when its password changes a minute later
            let changed = try await store.changePassword(userID: user.id, to: newer, at: Fixtures.now.addingTimeInterval(60))
            // then the new hash is what a login checks, read by id too, and the change is dated
            #expect(changed)
            #expect(try await store.credentials(userID: user.id)?.passwordHash == newer.encoded)
            #expect(try await store.credentials(email: email)?.passwordHash == newer.encoded)
            #expect(try await store.user(email: email)?.passwordChangedAt == Fixtures.now.addingTimeInterval(60))
            #expect(try await !store.changePassword(userID: user.id + 1000, to: newer, at: Fixtures.now))
        }
    }

    @Test(arguments: StoreKind.available)
    func anAccountDeletedByIdTakesItsSessionsAndNoOneElses(kind: StoreKind) async throws {
        try await kind.with { store in
            // given two accounts with a session each
            let ada = try await store.insertUser(email: try EmailAddress("ada@example.com"), passwordHash: Fixtures.hash, at: Fixtures.now)
            let bob = try await store.insertUser(email: try EmailAddress("bob@example.com"), passwordHash: Fixtures.hash, at: Fixtures.now)
            let (adas, bobs) = (SessionToken.generate(), SessionToken.generate())
            try await store.insertSession(Fixtures.session(adas, user: ada))
            try await store.insertSession(Fixtures.session(bobs, user: bob))
            // when Ada's account is deleted by id
            #expect(try await store.deleteUser(id: ada.id))
            // then it and its session are gone, Bob's are not, and a second delete says so
            #expect(try await store.credentials(userID: ada.id) == nil)
            #expect(try await store.session(digest: adas.digest) == nil)
            #expect(try await store.session(digest: bobs.digest) != nil)
            #expect(try await !store.deleteUser(id: ada.id))
        }
    }

    @Test(arguments: StoreKind.available)
    func theStoredHashesParametersAreListedOnceEach(kind: StoreKind) async throws {
        try await kind.with { store in
            // given three accounts: two hashes at one cost, one at another
            let cheap = try PasswordHash(encoded: "$scrypt$ln=5,r=8,p=1$BBBBBBBBBBBBBBBBBBBBBA$BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBA")
            _ = try await store.insertUser(email: try EmailAddress("a@example.com"), passwordHash: Fixtures.hash, at: Fixtures.now)
            _ = try await store.insertUser(email: try EmailAddress("b@example.com"), passwordHash: Fixtures.hash, at: Fixtures.now)
            _ = try await store.insertUser(email: try EmailAddress("c@example.com"), passwordHash: cheap, at: Fixtures.now)
            // then each parameter set is listed once, as `ln=…,r=…,p=…`
            #expect(Set(try await store.passwordHashSettings()) == ["ln=4,r=8,p=1", "ln=5,r=8,p=1"])
            #expect(try await store.passwordHashSettings().count == 2)
        }
    }

    @Test(arguments: StoreKind.available)
    func migratingTwiceChangesNothing(kind: StoreKind) async throws {
        try await kind.with { store in
            _ = try await store.insertUser(email: try EmailAddress("ada@example.com"), passwordHash: Fixtures.hash, at: Fixtures.now)
            try await store.migrate()
            #expect(try await store.users().count == 1)
        }
    }
}
