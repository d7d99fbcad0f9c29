import Foundation
@_spi(Testing) import LithTestSupport
import Logging
import NIOConcurrencyHelpers
import Testing

@_spi(Testing) @testable import Lith

/// Accounts as a domain module: registering and checking credentials, with
/// no HTTP in sight (Phoenix's `accounts_test`).
@Suite("Accounts")
struct AccountsTests {
    /// A hasher that counts what it is asked to do, around a real one.
    final class CountingHasher: PasswordHashing {
        let inner = PasswordHasher(parameters: .testsOnly)
        let counts = NIOLockedValueBox((hashes: 0, verifies: 0, dummies: 0))

        func hash(_ password: Password) async throws -> PasswordHash {
            counts.withLockedValue { $0.hashes += 1 }
            return try await inner.hash(password)
        }
        func verify(_ password: Password, against hash: PasswordHash) async throws -> Bool {
            counts.withLockedValue { $0.verifies += 1 }
            return try await inner.verify(password, against: hash)
        }
        func verifyDummy(_ password: Password) async throws {
            counts.withLockedValue { $0.dummies += 1 }
            try await inner.verifyDummy(password)
        }
        func needsUpgrade(_ hash: PasswordHash) -> Bool { inner.needsUpgrade(hash) }
        func isUsable(_ hash: PasswordHash) -> Bool { inner.isUsable(hash) }
        func learnStoredParameters(_ stored: [ScryptParameters]) async { await inner.learnStoredParameters(stored) }

        /// Every scrypt run, real or dummy.
        var total: Int { counts.withLockedValue { $0.hashes + $0.verifies + $0.dummies } }
    }

    static func withAccounts(
        policy: PasswordPolicy = PasswordPolicy(commonPasswords: CommonPasswords(["password", "12345678", "qwertyuiop"])),
        _ body: (Accounts, CountingHasher, any Store) async throws -> Void
    ) async throws {
        try await StoreKind.sqlite.with { store in
            let hasher = CountingHasher()
            try await body(Accounts(store: store, hasher: hasher, passwordPolicy: policy), hasher, store)
        }
    }

    static let home = Client(address: IPAddress("192.0.2.10"), userAgent: "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0")

    @Test func registeringStoresAHashNeverThePassword() async throws {
        try await Self.withAccounts { accounts, _, store in
            let user = try await accounts.register(
                email: " Ada@Example.COM ",
                password: "correct horse battery",
                confirmation: "correct horse battery"
            )
            #expect(user.email.value == "ada@example.com")
            let (_, stored) = try #require(try await store.credentials(email: user.email))
            #expect(!stored.contains("correct horse battery"))
            #expect(stored.hasPrefix("$scrypt$"))
        }
    }

    @Test func everyFieldsProblemIsReportedAtOnceAndNothingIsHashed() async throws {
        try await Self.withAccounts { accounts, hasher, store in
            do {
                _ = try await accounts.register(email: "not an email", password: "short", confirmation: "short")
                Issue.record("expected FieldErrors")
            } catch let errors as FieldErrors {
                #expect(errors[.email] != nil)
                #expect(errors[.password] != nil)
            }
            #expect(hasher.total == 0)
            #expect(try await store.users().isEmpty)
        }
    }

    @Test func aTakenEmailCostsNoHash() async throws {
        try await Self.withAccounts { accounts, hasher, _ in
            _ = try await accounts.register(email: "ada@example.com", password: "correct horse battery", confirmation: "correct horse battery")
            let before = hasher.total
            await #expect(throws: Accounts.emailTaken) {
                _ = try await accounts.register(email: "ADA@example.com", password: "another horse battery", confirmation: "another horse battery")
            }
            #expect(hasher.total == before)
        }
    }

    @Test func theRightPasswordFindsTheAccountWithOneVerification() async throws {
        try await Self.withAccounts { accounts, hasher, _ in
            let user = try await accounts.register(email: "ada@example.com", password: "correct horse battery", confirmation: "correct horse battery")
            let before = hasher.counts.withLockedValue { $0 }
            #expect(try await accounts.authenticate(email: "ada@example.com", password: "correct horse battery") == user)
            let after = hasher.counts.withLockedValue { $0 }
            #expect(after.verifies == before.verifies + 1)
            #expect(after.dummies == before.dummies)
        }
    }

    @Test func anUnknownEmailCostsExactlyOneHashLikeAWrongPassword() async throws {
        try await Self.withAccounts { accounts, hasher, _ in
            // given one account
            _ = try await accounts.register(email: "ada@example.com", password: "correct horse battery", confirmation: "correct horse battery")
            // when a stranger tries an unknown email, then a wrong password
            var before = hasher.total
            #expect(try await accounts.authenticate(email: "bob@example.com", password: "correct horse battery") == nil)
            let unknownCost = hasher.total - before
            before = hasher.total
            #expect(try await accounts.authenticate(email: "ada@example.com", password: "wrong horse battery") == nil)
            let wrongCost = hasher.total - before
            // then each cost one scrypt run: the answer and its timing tell nothing
            #expect(unknownCost == 1)
            #expect(wrongCost == 1)
            #expect(hasher.counts.withLockedValue { $0.dummies } == 1)
        }
    }

    @Test(arguments: [
        "$bcrypt$2b$12$whatever", "$scrypt$ln=20,r=16,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "garbage",
    ])
    func aStoredHashLithCantUseIsAFailedLoginThatStillCostsOneHash(stored: String) async throws {
        try await Self.withAccounts { accounts, hasher, store in
            // given an account whose stored hash is unreadable, or asks for 1 GiB
            let user = try await store.insertUser(email: try EmailAddress("ada@example.com"), passwordHash: Fixtures.hash, at: Fixtures.now)
            try await Self.replaceHash(of: user, in: store, with: stored)
            // when its owner tries to log in
            let found = try await accounts.authenticate(email: "ada@example.com", password: "correct horse battery")
            // then it is a failed login (no 500), at the cost of one dummy hash, and nothing heavier ran
            #expect(found == nil)
            #expect(hasher.counts.withLockedValue { $0.dummies } == 1)
            #expect(hasher.counts.withLockedValue { $0.verifies } == 0)
        }
    }

    @Test func aHashAtOldParametersIsUpgradedAtTheNextLogin() async throws {
        try await Self.withAccounts { accounts, _, store in
            let weak = try await PasswordHasher(parameters: try ScryptParameters(logN: 2, r: 8, p: 1)).hash(try Password("correct horse battery"))
            let user = try await store.insertUser(email: try EmailAddress("ada@example.com"), passwordHash: weak, at: Fixtures.now)
            #expect(try await accounts.authenticate(email: "ada@example.com", password: "correct horse battery") == user)
            let upgraded = try PasswordHash(encoded: try #require(try await store.credentials(email: user.email)).passwordHash)
            #expect(upgraded.parameters == .testsOnly)
        }
    }

    @Test(arguments: ["password", "PassWord", "12345678"])
    func aCommonPasswordIsRefusedWithAWayForward(password: String) async throws {
        try await Self.withAccounts { accounts, hasher, _ in
            // when someone signs up with a password everybody tries first
            do {
                _ = try await accounts.register(email: "ada@example.com", password: password, confirmation: password)
                Issue.record("expected FieldErrors")
            } catch let errors as FieldErrors {
                // then it is refused with what to do instead, before any hashing
                #expect(errors[.password] == "This password is too common. Try a phrase of a few words.")
            }
            #expect(hasher.total == 0)
        }
    }

    @Test(arguments: ["adalovelace", "my adalovelace 1815", "ADALOVELACE@example.com!"])
    func aPasswordMadeOfTheEmailIsRefused(password: String) async throws {
        try await Self.withAccounts { accounts, _, _ in
            await #expect(throws: FieldErrors([.password: Password.Problem.containsEmail.message])) {
                _ = try await accounts.register(email: "adalovelace@example.com", password: password, confirmation: password)
            }
        }
    }

    @Test func aThrottledLoginCostsNoHashAndIsLogged() async throws {
        try await Self.withAccounts { accounts, hasher, store in
            // given Ada, and five wrong passwords for her from one address
            _ = try await accounts.register(email: "ada@example.com", password: "correct horse battery", confirmation: "correct horse battery")
            for _ in 0..<5 { _ = try await accounts.authenticate(email: "ada@example.com", password: "wrong horse", from: Self.home) }
            let before = hasher.total
            // when the right password comes next, at once
            await #expect(throws: Throttled.self) {
                _ = try await accounts.authenticate(email: "ada@example.com", password: "correct horse battery", from: Self.home)
            }
            // then no hash ran, and the log says what happened
            #expect(hasher.total == before)
            let kinds = try await store.events(email: nil, since: nil, limit: 100).map(\.kind)
            #expect(kinds == [.signup] + Array(repeating: .loginFailed, count: 5) + [.loginThrottled])
        }
    }

    @Test func aChangedPasswordReplacesTheOldOneAndIsLogged() async throws {
        try await Self.withAccounts { accounts, _, store in
            // given Ada
            let ada = try await accounts.register(email: "ada@example.com", password: "correct horse battery", confirmation: "correct horse battery")
            // when she changes her password, giving the current one
            try await accounts.changePassword(
                of: ada,
                current: "correct horse battery",
                new: "a brand new phrase",
                confirmation: "a brand new phrase",
                from: Self.home
            )
            // then only the new one logs in, and the change is in her log
            #expect(try await accounts.authenticate(email: "ada@example.com", password: "correct horse battery") == nil)
            #expect(try await accounts.authenticate(email: "ada@example.com", password: "a brand new phrase")?.id == ada.id)
            #expect(try await store.events(userID: ada.id, limit: 10).contains { $0.kind == .passwordChanged && $0.address == "192.0.2.10" })
        }
    }

    @Test func aWrongCurrentPasswordChangesNothingAndCountsAsAFailure() async throws {
        try await Self.withAccounts { accounts, _, _ in
            // given Ada, signed in somewhere
            let ada = try await accounts.register(email: "ada@example.com", password: "correct horse battery", confirmation: "correct horse battery")
            // when someone at her open session tries five wrong current passwords
            for _ in 0..<5 {
                await #expect(throws: FieldErrors([.currentPassword: Accounts.wrongCurrentPassword])) {
                    try await accounts.changePassword(
                        of: ada,
                        current: "guess",
                        new: "a brand new phrase",
                        confirmation: "a brand new phrase",
                        from: Self.home
                    )
                }
            }
            // then the sixth is throttled like a login, and the password is unchanged
            await #expect(throws: Throttled.self) {
                try await accounts.changePassword(
                    of: ada,
                    current: "guess",
                    new: "a brand new phrase",
                    confirmation: "a brand new phrase",
                    from: Self.home
                )
            }
            #expect(try await accounts.authenticate(email: "ada@example.com", password: "correct horse battery", from: .unknown)?.id == ada.id)
        }
    }

    @Test func aDeletedAccountIsGoneWithItsSessionsAndItsDeletionIsLogged() async throws {
        try await Self.withAccounts { accounts, _, store in
            // given Ada with a session
            let ada = try await accounts.register(email: "ada@example.com", password: "correct horse battery", confirmation: "correct horse battery")
            let token = SessionToken.generate()
            try await store.insertSession(Fixtures.session(token, user: ada))
            // when she deletes her account with the wrong password, then the right one
            await #expect(throws: FieldErrors.self) { try await accounts.deleteAccount(of: ada, currentPassword: "wrong", from: Self.home) }
            #expect(try await store.user(email: ada.email) != nil)
            try await accounts.deleteAccount(of: ada, currentPassword: "correct horse battery", from: Self.home)
            // then the account and session are gone, and the log keeps the deletion
            #expect(try await store.user(email: ada.email) == nil)
            #expect(try await store.session(digest: token.digest) == nil)
            #expect(try await store.events(userID: ada.id, limit: 1).first?.kind == .accountDeleted)
        }
    }

    @Test func anUnknownEmailIsCheckedAtTheDearestStoredParameters() async throws {
        try await Self.withAccounts { accounts, hasher, store in
            // given an account whose hash is dearer than today's parameters
            let dearer = try ScryptParameters(logN: 6, r: 8, p: 1)
            let old = try await PasswordHasher(parameters: dearer).hash(try Password("correct horse battery"))
            _ = try await store.insertUser(email: try EmailAddress("ada@example.com"), passwordHash: old, at: Fixtures.now)
            // when the accounts learn the stored parameters, as at start-up
            try await accounts.prepare()
            // then a dummy verification, for an unknown email, costs what Ada's hash costs
            #expect(hasher.inner.dummyParameters == dearer)
        }
    }

    /// Writes `encoded` straight into the row, as corruption or tampering would.
    static func replaceHash(of user: User, in store: any Store, with encoded: String) async throws {
        let sqlite = try #require(store as? SQLiteStore)
        try await sqlite.write(.upgradePasswordHash) {
            _ = try await sqlite.writer.query("UPDATE users SET password_hash = ? WHERE id = ?", [.text(encoded), .integer(Int(user.id))])
        }
    }
}
