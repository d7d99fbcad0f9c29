import Foundation
@_spi(Testing) import LithTestSupport
import NIOConcurrencyHelpers
import Testing

@_spi(Testing) @testable import Lith

/// Signing up in `required` mode and moving an account to another address,
/// as domain verbs with no HTTP in sight: what they cost and what they mail.
@Suite("Email address flows")
struct EmailAddressFlowsTests {
    typealias CountingHasher = AccountsTests.CountingHasher

    static let ada = "ada@example.com"
    static let password = "correct horse battery"

    /// The verbs on a fresh store, with a hasher that counts and a clock the test moves.
    struct Flows {
        let accounts: Accounts
        let verifications: EmailVerifications
        let changes: EmailChanges
        let links: MailedLinks
        let hasher: CountingHasher
        let store: any Store
        let now: NIOLockedValueBox<Date>

        func mails(to address: String) async throws -> Int {
            try await store.outbox(limit: 1000).filter { $0.to == address }.count
        }

        /// A stored link that would move `user` to ada@new.example.
        func addressChangeLink(for user: User) async throws -> LinkToken {
            let link = try await links.issue(
                .emailChange,
                for: user,
                address: EmailAddress("ada@new.example"),
                path: "/account/email/confirm/",
                lifetime: 3600,
                letter: nil
            )
            return try #require(LinkToken(text: link.split(separator: "/").last!))
        }
    }

    static func withFlows(_ body: (Flows) async throws -> Void) async throws {
        try await StoreKind.sqlite.with { store in
            let now = NIOLockedValueBox(Fixtures.now)
            let clock: @Sendable () -> Date = { now.withLockedValue { $0 } }
            let hasher = CountingHasher()
            let accounts = Accounts(store: store, hasher: hasher, clock: clock)
            let mail = MailQueue(
                outbox: store,
                composer: MailComposer(from: MailFrom(address: try EmailAddress("lith@example.com")), clock: clock),
                signal: DeliverySignal(),
                clock: clock
            )
            let links = MailedLinks(store: store, mail: mail, origin: { "https://lith.example" }, securityLog: NoSecurityLog(), clock: clock)
            let letters = AddressLetters(siteName: "Lith")
            try await body(
                Flows(
                    accounts: accounts,
                    verifications: EmailVerifications(mode: .required, accounts: accounts, links: links, letters: letters),
                    changes: EmailChanges(accounts: accounts, links: links, letters: letters),
                    links: links,
                    hasher: hasher,
                    store: store,
                    now: now
                )
            )
        }
    }

    // MARK: signing up in required mode

    @Test func aTakenAddressCostsItsSignupTheSameHashAsANewOne() async throws {
        try await Self.withFlows { flows in
            // given Ada's account, whose signup hashed her password once
            try await flows.verifications.signUpQuietly(email: Self.ada, password: Self.password, confirmation: Self.password)
            let newAddress = flows.hasher.total
            // when someone signs up with her address again
            try await flows.verifications.signUpQuietly(email: Self.ada, password: "another fine password", confirmation: "another fine password")
            // then that signup hashed once too, and made no second account
            #expect(newAddress == 1)
            #expect(flows.hasher.total - newAddress == newAddress)
            #expect(try await flows.store.users().count == 1)
        }
    }

    @Test func theOwnerOfATakenAddressIsToldAtMostAsOftenAsLinksAreMailedToIt() async throws {
        try await Self.withFlows { flows in
            // given Ada's account, her confirmation link mailed at signup
            try await flows.verifications.signUpQuietly(email: Self.ada, password: Self.password, confirmation: Self.password)
            // when strangers sign up with her address twelve times, each from an address of its own
            for attempt in 1...12 {
                let stranger = Client(address: IPAddress("198.51.100.\(attempt)"), userAgent: "curl/8.0")
                try await flows.verifications.signUpQuietly(email: Self.ada, password: Self.password, confirmation: Self.password, from: stranger)
            }
            // then every attempt was answered alike (none threw), and her
            // inbox got no more than the hourly limit on mailed links
            #expect(try await flows.mails(to: Self.ada) == ThrottlePolicy().resetAccount.freeFailures)
        }
    }

    // MARK: a password change cancels a pending address change

    @Test func aPasswordChangeDeletesAPendingAddressChangesLink() async throws {
        try await Self.withFlows { flows in
            // given Ada asked to move to a new address (its link is stored)
            let user = try await flows.accounts.register(email: Self.ada, password: Self.password, confirmation: Self.password)
            let token = try await flows.addressChangeLink(for: user)
            #expect(try await flows.store.link(digest: token.digest, purpose: .emailChange) != nil)
            // when her password changes
            try await flows.accounts.setPassword(of: user, to: Password("a different password"), from: .unknown, recordingAs: .passwordChanged)
            // then the link is gone from the store
            #expect(try await flows.store.link(digest: token.digest, purpose: .emailChange) == nil)
        }
    }

    @Test func anAddressChangeAskedForBeforeThePasswordChangedIsRefused() async throws {
        try await Self.withFlows { flows in
            // given a link to move Ada's account
            let user = try await flows.accounts.register(email: Self.ada, password: Self.password, confirmation: Self.password)
            let token = try await flows.addressChangeLink(for: user)
            // when her password changes a minute later, by a path that leaves the link stored
            flows.now.withLockedValue { $0 += 60 }
            try await flows.store.changePassword(userID: user.id, to: Fixtures.hash, at: flows.now.withLockedValue { $0 })
            // then the link no longer moves the account
            #expect(try await flows.changes.pendingAddress(for: token) == nil)
            await #expect(throws: EmailChanges.LinkRefused.self) { try await flows.changes.confirm(token) }
            #expect(try await flows.store.user(email: EmailAddress(Self.ada)) != nil)
        }
    }
}
