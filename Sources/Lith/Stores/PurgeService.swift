import Foundation
import Logging
import ServiceLifecycle

/// Deletes what the store no longer needs, every `interval`: expired
/// sessions, throttle counters with nothing left to count, and security log
/// entries past their retention. None of it can sign anyone in or slow
/// anyone down any more (every request checks deadlines itself); this keeps
/// the tables from growing. Every instance may run it: each DELETE is
/// idempotent, so instances purging at once only race to delete the same rows.
public struct PurgeService: Service {
    let store: any SessionStore & CounterStore & SecurityEventStore & LinkTokenStore
    let interval: TimeInterval
    /// How long security log entries are kept.
    let auditRetention: TimeInterval
    let clock: @Sendable () -> Date
    let logger: Logger

    /// Ninety days: long enough to look back on a season's sign-ins, short
    /// enough that addresses aren't kept for ever (GDPR's storage limitation).
    public static let defaultAuditRetention: TimeInterval = 90 * 24 * 60 * 60

    public init(
        store: any SessionStore & CounterStore & SecurityEventStore & LinkTokenStore,
        interval: TimeInterval,
        auditRetention: TimeInterval = defaultAuditRetention,
        clock: @escaping @Sendable () -> Date = Date.init,
        logger: Logger
    ) {
        self.store = store
        self.interval = interval
        self.auditRetention = auditRetention
        self.clock = clock
        self.logger = logger
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                try await cancelWhenGracefulShutdown {
                    try await Task.sleep(nanoseconds: UInt64(interval * 1_000_000_000))
                }
            } catch {
                return  // shutting down
            }
            do {
                // Cancelled by shutdown too: a purge waiting on a database
                // that's away must not hold up SIGTERM.
                try await cancelWhenGracefulShutdown { try await purge() }
            } catch {
                if Task.isShuttingDownGracefully || Task.isCancelled { return }
                // The database may be briefly away; the next round tries again.
                logger.warning("purge failed: \(error)")
            }
        }
    }

    /// One round: everything expired at the clock's `now` goes.
    public func purge() async throws {
        let now = clock()
        let sessions = try await store.deleteExpiredSessions(now: now)
        let counters = try await store.deleteExpiredCounters(now: now)
        let events = try await store.deleteEvents(before: now.addingTimeInterval(-auditRetention))
        let links = try await store.deleteExpiredLinks(now: now)
        if sessions + counters + events + links > 0 {
            logger.info(
                "purged \(sessions) expired sessions, \(counters) throttle counters, \(events) security log entries, \(links) expired links"
            )
        }
    }
}
