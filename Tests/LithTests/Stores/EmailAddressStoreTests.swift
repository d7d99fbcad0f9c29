import Foundation
@_spi(Testing) import LithTestSupport
import Testing

@_spi(Testing) @testable import Lith

/// An account's address in the store: confirming it, moving it, and the
/// address a mailed link is for, on every store.
@Suite("Email address store")
struct EmailAddressStoreTests {
    @Test(arguments: StoreKind.available)
    func anAddressIsConfirmedOnlyWhileItIsStillTheAccounts(kind: StoreKind) async throws {
        try await kind.with { store in
            // given a new account, unconfirmed
            let ada = try EmailAddress("ada@example.com")
            let user = try await store.insertUser(email: ada, passwordHash: Fixtures.hash, at: Fixtures.now)
            #expect(try await store.user(email: ada)?.emailVerifiedAt == nil)
            // when a link for another address is used, nothing changes; for its own, it is confirmed
            #expect(try await !store.markEmailVerified(userID: user.id, email: EmailAddress("old@example.com"), at: Fixtures.now))
            #expect(try await store.markEmailVerified(userID: user.id, email: ada, at: Fixtures.now))
            #expect(try await store.user(email: ada)?.emailVerifiedAt == Fixtures.now)
            // and a session's user carries it too
            let token = SessionToken.generate()
            try await store.insertSession(Fixtures.session(token, user: user))
            #expect(try await store.session(digest: token.digest)?.1.isEmailVerified == true)
        }
    }

    @Test(arguments: StoreKind.available)
    func anAccountMovesToAFreeAddressButNeverOntoAnothersAccount(kind: StoreKind) async throws {
        try await kind.with { store in
            let ada = try await store.insertUser(email: try EmailAddress("ada@example.com"), passwordHash: Fixtures.hash, at: Fixtures.now)
            _ = try await store.insertUser(email: try EmailAddress("bob@example.com"), passwordHash: Fixtures.hash, at: Fixtures.now)
            await #expect(throws: StoreError.emailTaken) {
                try await store.changeEmail(userID: ada.id, to: try EmailAddress("bob@example.com"), at: Fixtures.now)
            }
            #expect(try await store.changeEmail(userID: ada.id, to: try EmailAddress("ada.new@example.com"), at: Fixtures.now))
            let moved = try #require(try await store.user(email: EmailAddress("ada.new@example.com")))
            #expect(moved.id == ada.id && moved.emailVerifiedAt == Fixtures.now)
        }
    }

    @Test(arguments: StoreKind.available)
    func aLinkKeepsTheAddressItWasSentTo(kind: StoreKind) async throws {
        try await kind.with { store in
            let ada = try await store.insertUser(email: try EmailAddress("ada@example.com"), passwordHash: Fixtures.hash, at: Fixtures.now)
            let record = LinkTokenRecord(
                purpose: .emailChange,
                userID: ada.id,
                createdAt: Fixtures.now,
                expiresAt: Fixtures.now.addingTimeInterval(60),
                email: try EmailAddress("ada.new@example.com")
            )
            let token = LinkToken.generate()
            try await store.issueLink(digest: token.digest, record: record, mail: nil)
            #expect(try await store.link(digest: token.digest, purpose: .emailChange) == record)
            #expect(try await store.link(digest: token.digest, purpose: .emailVerification) == nil)
            #expect(try await store.useLink(digest: token.digest, purpose: .emailChange) == record)
            #expect(try await store.useLink(digest: token.digest, purpose: .emailChange) == nil)
        }
    }
}
