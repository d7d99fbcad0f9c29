import Foundation
import Logging
import ServiceLifecycle

/// Deletes expired sessions every `interval`. Expired sessions can't sign
/// anyone in anyway (every request checks both deadlines); this keeps the table
/// from growing. Every instance may run it: the DELETE is idempotent, so
/// instances purging at once only race to delete the same rows.
public struct SessionPurgeService: Service {
    let store: any SessionStore
    let interval: TimeInterval
    let clock: @Sendable () -> Date
    let logger: Logger

    public init(store: any SessionStore, interval: TimeInterval, clock: @escaping @Sendable () -> Date = Date.init, logger: Logger) {
        self.store = store
        self.interval = interval
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
                let purged = try await cancelWhenGracefulShutdown { [store, clock] in try await store.deleteExpiredSessions(now: clock()) }
                if purged > 0 { logger.info("purged \(purged) expired sessions") }
            } catch {
                if Task.isShuttingDownGracefully || Task.isCancelled { return }
                // The database may be briefly away; the next round tries again.
                logger.warning("session purge failed: \(error)")
            }
        }
    }
}
