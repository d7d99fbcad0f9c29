import Foundation

/// How Lith's verbs send mail: composed here, written to the store's outbox
/// (``OutboxStore``), and the sender (``MailDelivery``) woken. Never waits
/// for a mail server.
public struct MailQueue: Sendable {
    let outbox: any OutboxStore
    public let composer: MailComposer
    let signal: DeliverySignal
    let clock: @Sendable () -> Date

    public init(outbox: any OutboxStore, composer: MailComposer, signal: DeliverySignal, clock: @escaping @Sendable () -> Date = Date.init) {
        self.outbox = outbox
        self.composer = composer
        self.signal = signal
        self.clock = clock
    }

    /// Queues `message` and wakes the sender.
    public func send(_ message: MailMessage) async throws {
        try await outbox.enqueue(composer.compose(message), at: clock())
        signal.wake()
    }

    /// Wakes the sender after mail was queued by another step (``LinkTokenStore/issueLink(digest:record:mail:)``).
    func queued() { signal.wake() }
}
