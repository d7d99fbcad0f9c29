import Foundation
@_spi(Testing) import LithTestSupport
import LithTesting
import Logging
import NIOConcurrencyHelpers
import Testing

@_spi(Testing) @testable import Lith

/// The outbox's sender: nothing lost when the server is down, nothing sent twice.
@Suite("Mail delivery")
struct MailDeliveryTests {
    /// A mail server that is down until told otherwise.
    final class DownMailer: Mailer {
        let down = NIOLockedValueBox(true)
        let inner = CapturingMailer()
        var destination: String { "a server that may be down" }
        func deliver(_ mail: OutgoingMail) async throws(MailFailure) {
            if down.withLockedValue({ $0 }) { throw MailFailure(permanent: false, "connection refused") }
            try await inner.deliver(mail)
        }
    }

    static func mail(to address: String = "ada@example.com") throws -> OutgoingMail {
        OutgoingMail(from: try EmailAddress("no-reply@example.com"), to: try EmailAddress(address), data: "Subject: hi\r\n\r\nhi\r\n")
    }

    static func delivery(_ store: any Store, _ mailer: any Mailer, at clock: TestClock) -> MailDelivery {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return MailDelivery(store: store, mailer: mailer, clock: { clock.now }, logger: logger)
    }

    @Test(arguments: StoreKind.available)
    func mailWaitsWhileTheServerIsDownAndGoesWhenItIsBack(kind: StoreKind) async throws {
        try await kind.with { store in
            // given a queued message and a mail server that is down
            let clock = TestClock()
            let mailer = DownMailer()
            try await store.enqueue(try Self.mail(), at: clock.now)
            let delivery = Self.delivery(store, mailer, at: clock)
            await delivery.deliverDue()
            // when the server is back ten minutes later
            clock.advance(by: 600)
            mailer.down.withLockedValue { $0 = false }
            await delivery.deliverDue()
            // then the message went out once, after a failed first try
            #expect(mailer.inner.messages.count == 1)
            #expect(try await store.outbox(limit: 10).map(\.status) == [.sent])
            #expect(try await store.outbox(limit: 10).first?.attempts == 2)
        }
    }

    @Test(arguments: StoreKind.available)
    func aRetryWaitsItsTurn(kind: StoreKind) async throws {
        try await kind.with { store in
            let clock = TestClock()
            let mailer = DownMailer()
            try await store.enqueue(try Self.mail(), at: clock.now)
            let delivery = Self.delivery(store, mailer, at: clock)
            await delivery.deliverDue()
            mailer.down.withLockedValue { $0 = false }
            // then nothing is tried again before the 30 s back-off, and it is after
            clock.advance(by: 10)
            #expect(await delivery.deliverDue() == 0)
            clock.advance(by: 21)
            #expect(await delivery.deliverDue() == 1)
        }
    }

    @Test(arguments: StoreKind.available)
    func aRefusedRecipientIsGivenUpAndTheRestStillGo(kind: StoreKind) async throws {
        try await kind.with { store in
            let clock = TestClock()
            let mailer = CapturingMailer()
            mailer.refuse("nobody@example.com")
            try await store.enqueue(try Self.mail(to: "nobody@example.com"), at: clock.now)
            try await store.enqueue(try Self.mail(), at: clock.now)
            await Self.delivery(store, mailer, at: clock).deliverDue()
            let entries = try await store.outbox(limit: 10)
            #expect(entries.map(\.status).sorted { $0.rawValue < $1.rawValue } == [.failed, .sent])
            #expect(entries.first { $0.status == .failed }?.lastError?.contains("550") == true)
            #expect(mailer.messages.map(\.to.value) == ["ada@example.com"])
        }
    }

    @Test(arguments: StoreKind.available)
    func twoSendersOnOneOutboxSendEachMessageOnce(kind: StoreKind) async throws {
        try await kind.with { store in
            let clock = TestClock()
            let mailer = CapturingMailer()
            for index in 0..<30 { try await store.enqueue(try Self.mail(to: "user\(index)@example.com"), at: clock.now) }
            // when two instances' senders run at once
            async let first = Self.delivery(store, mailer, at: clock).deliverDue()
            async let second = Self.delivery(store, mailer, at: clock).deliverDue()
            _ = await (first, second)
            // then thirty messages went out, each once
            #expect(mailer.messages.count == 30)
            #expect(Set(mailer.messages.map(\.to.value)).count == 30)
        }
    }

    @Test func theBackOffDoublesUpToHalfAnHour() {
        #expect(MailDelivery.backoff(afterAttempt: 1) == 30)
        #expect(MailDelivery.backoff(afterAttempt: 2) == 60)
        #expect(MailDelivery.backoff(afterAttempt: 20) == 1800)
    }
}
