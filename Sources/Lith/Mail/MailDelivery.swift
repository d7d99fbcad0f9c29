import Foundation
import Logging
import NIOConcurrencyHelpers
import ServiceLifecycle

/// Takes mail out of the store's outbox and hands it to the ``Mailer``, off
/// the request path: a request only writes to the outbox, so sending never
/// makes anyone wait, and a mail server that is down delays mail instead of
/// losing it.
///
/// Every few seconds (and at once when ``wake()`` is called) it claims the
/// messages that are due, each for a lease, so the instances of a fleet
/// share one outbox without sending a message twice. A temporary failure is
/// retried with growing waits (30 s, 1, 2, 4 … up to 30 minutes) for a day;
/// a permanent one (the server refused the recipient) is given up at once.
/// Both are logged and shown by `lith mail queue`; finished messages are
/// forgotten after ``retention``.
public struct MailDelivery: Service {
    let store: any OutboxStore
    let mailer: any Mailer
    let interval: Duration
    let retention: TimeInterval
    let clock: @Sendable () -> Date
    let logger: Logger
    let signal: DeliverySignal

    /// How long a claimed message is kept from other senders: longer than a
    /// conversation may take (``SMTPServer/timeout``).
    static let lease: TimeInterval = 120
    /// Messages claimed at once.
    static let batch = 10
    /// After this long a message that still can't be sent is given up.
    static let giveUpAfter: TimeInterval = 24 * 60 * 60

    public init(
        store: any OutboxStore,
        mailer: any Mailer,
        interval: Duration = .seconds(5),
        retention: TimeInterval = 7 * 24 * 60 * 60,
        clock: @escaping @Sendable () -> Date = Date.init,
        logger: Logger,
        signal: DeliverySignal = DeliverySignal()
    ) {
        self.store = store
        self.mailer = mailer
        self.interval = interval
        self.retention = retention
        self.clock = clock
        self.logger = logger
        self.signal = signal
    }

    /// The wait before try number `attempt + 1`: 30 s doubling, at most 30 minutes.
    static func backoff(afterAttempt attempt: Int) -> TimeInterval {
        min(30 * pow(2, Double(max(0, attempt - 1))), 30 * 60)
    }

    public func run() async throws {
        logger.info("mail: sending queued mail to \(mailer.destination)")
        var lastPurge = Date.distantPast
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            // Cancelled by shutdown: a conversation with a slow mail server
            // must not hold up SIGTERM (the lease lets another try later).
            _ = await cancelWhenGracefulShutdown { await deliverDue() }
            if clock().timeIntervalSince(lastPurge) > 3600 {
                lastPurge = clock()
                do {
                    let purged = try await cancelWhenGracefulShutdown {
                        try await store.deleteFinishedMail(before: clock().addingTimeInterval(-retention))
                    }
                    if purged > 0 { logger.info("mail: forgot \(purged) finished message(s)") }
                } catch {
                    // Stopping is no failure: a SIGTERM, or a start cut short
                    // (the port in use: `lith serve` must then print one line,
                    // not this one too). The next start purges.
                    if Task.isShuttingDownGracefully || Task.isCancelled { return }
                    logger.warning("mail: purging finished messages failed: \(error)")
                }
            }
            do {
                try await cancelWhenGracefulShutdown { try await signal.wait(upTo: interval) }
            } catch {
                return  // shutting down
            }
        }
    }

    /// Sends everything due now; returns how many messages were tried.
    @discardableResult
    public func deliverDue() async -> Int {
        var tried = 0
        while !Task.isCancelled {
            let claimed: [QueuedMail]
            do {
                claimed = try await store.claimDueMail(now: clock(), lease: Self.lease, limit: Self.batch)
            } catch {
                // Cancelled (the server is stopping) is no failure to report.
                if !Task.isCancelled { logger.warning("mail: reading the outbox failed: \(error)") }
                return tried
            }
            if claimed.isEmpty { return tried }
            for queued in claimed {
                await deliver(queued)
                tried += 1
            }
        }
        return tried
    }

    private func deliver(_ queued: QueuedMail) async {
        let metadata: Logger.Metadata = ["mail_id": "\(queued.id)", "to": "\(queued.mail.to.value.logSafe)", "attempt": "\(queued.attempts)"]
        let failure: MailFailure
        do {
            try await mailer.deliver(queued.mail)
            do {
                try await store.markSent(queued.id, at: clock())
            } catch {
                // The lease runs out and the message goes again: sent twice at worst, never lost.
                logger.error("mail: sent, but could not record it: \(error)", metadata: metadata)
            }
            logger.info("mail: sent", metadata: metadata)
            return
        } catch let error as MailFailure {
            failure = error
        } catch {
            failure = MailFailure(permanent: false, "\(error)")
        }
        let now = clock()
        let expired = now.timeIntervalSince(queued.queuedAt) >= Self.giveUpAfter
        let retryAt = failure.isPermanent || expired ? nil : now.addingTimeInterval(Self.backoff(afterAttempt: queued.attempts))
        do {
            try await store.markFailed(queued.id, error: failure.reason, retryAt: retryAt, at: now)
        } catch {
            logger.error("mail: could not record a failed delivery: \(error)", metadata: metadata)
        }
        var logged = metadata
        logged["error"] = "\(failure.reason.logSafe)"
        if let retryAt {
            logged["retry_in"] = "\(Int(retryAt.timeIntervalSince(now)))s"
            logger.warning("mail: not sent, will retry", metadata: logged)
        } else {
            logger.error("mail: not sent, given up", metadata: logged)
        }
    }
}

/// Wakes ``MailDelivery`` when a request has queued mail, so a reset link
/// goes out at once rather than at the next tick.
public final class DeliverySignal: Sendable {
    private let woken = NIOLockedValueBox(false)

    public init() {}

    public func wake() { woken.withLockedValue { $0 = true } }

    /// Returns when woken or after `interval`, whichever is first. Looks
    /// four times a second: cheaper than it sounds, and nothing to leak.
    func wait(upTo interval: Duration) async throws {
        let deadline = ContinuousClock.now + interval
        while ContinuousClock.now < deadline {
            if woken.withLockedValue({ was in
                defer { was = false }
                return was
            }) {
                return
            }
            try await Task.sleep(for: .milliseconds(250))
        }
    }
}
