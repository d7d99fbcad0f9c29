import Logging
import NIOConcurrencyHelpers
import NIOCore

/// Every open connection of one server, for the two decisions that need all
/// of them: which connection to give up when the limit is reached, and which
/// to close when shutdown's grace period runs out.
final class ConnectionRegistry: Sendable {
    /// What the registry knows of one connection; its guard updates it.
    final class Entry: Sendable {
        let channel: any Channel
        /// Since when the connection has had no request in progress (it
        /// waits for a first or next request head), or `nil` while one is.
        private let waitingSince: NIOLockedValueBox<NIODeadline?>

        init(channel: any Channel, now: NIODeadline) {
            self.channel = channel
            self.waitingSince = NIOLockedValueBox(now)
        }

        func markWaiting(since now: NIODeadline) { waitingSince.withLockedValue { $0 = now } }
        func markBusy() { waitingSince.withLockedValue { $0 = nil } }
        var idleSince: NIODeadline? { waitingSince.withLockedValue { $0 } }
    }

    private let limits: ConnectionLimits
    private let log: RateLimitedLog
    private let logger: Logger
    private let state = NIOLockedValueBox(State())

    private struct State {
        var entries: [ObjectIdentifier: Entry] = [:]
        var shuttingDown = false
    }

    init(limits: ConnectionLimits, logger: Logger) {
        self.limits = limits
        self.logger = logger
        self.log = RateLimitedLog(logger: logger)
    }

    var count: Int { state.withLockedValue { $0.entries.count } }

    /// Takes `entry` in, making room by closing the connection that has
    /// waited longest without a request if the limit is reached. Returns
    /// `false` when every open connection is mid-request: the newcomer is
    /// the one to refuse.
    func admit(_ entry: Entry) -> Bool {
        let (admitted, evicted) = state.withLockedValue { state -> (Bool, Entry?) in
            guard state.entries.count >= limits.maximumConnections else {
                state.entries[ObjectIdentifier(entry)] = entry
                return (true, nil)
            }
            var oldest: (ObjectIdentifier, Entry, NIODeadline)?
            for (id, candidate) in state.entries {
                guard let since = candidate.idleSince else { continue }
                if oldest == nil || since < oldest!.2 { oldest = (id, candidate, since) }
            }
            guard let (id, victim, _) = oldest else { return (false, nil) }
            state.entries[id] = nil
            state.entries[ObjectIdentifier(entry)] = entry
            return (true, victim)
        }
        if let evicted {
            log.log(
                .notice,
                "connection limit reached: closed the longest-idle connection",
                metadata: ["limit": "\(limits.maximumConnections)", "peer": "\(evicted.channel.remoteAddress?.ipAddress ?? "?")"]
            )
            evicted.channel.close(promise: nil)
        } else if !admitted {
            log.log(
                .warning,
                "connection limit reached and every connection is mid-request: refused a new one with 503",
                metadata: ["limit": "\(limits.maximumConnections)"]
            )
        }
        return admitted
    }

    func remove(_ entry: Entry) {
        let finishedShutdown = state.withLockedValue { state -> Bool in
            guard state.entries.removeValue(forKey: ObjectIdentifier(entry)) != nil else { return false }
            return state.shuttingDown && state.entries.isEmpty
        }
        if finishedShutdown { logger.info("shutdown: every connection has closed") }
    }

    /// The server stopped accepting (SIGTERM): idle connections close at
    /// once, the others get ``ConnectionLimits/shutdownGracePeriod`` to
    /// finish, then whatever is left is closed so the process can exit.
    /// Called by every connection that hears of the shutdown; the first call acts.
    func beginShutdown(on eventLoop: any EventLoop) {
        let open = state.withLockedValue { state -> [Entry]? in
            guard !state.shuttingDown else { return nil }
            state.shuttingDown = true
            return Array(state.entries.values)
        }
        guard let open else { return }
        let busy = open.filter { $0.idleSince == nil }.count
        let grace = limits.shutdownGracePeriod
        logger.info(
            "shutdown: stopped accepting connections; waiting for requests in progress",
            metadata: ["open_connections": "\(open.count)", "requests_in_progress": "\(busy)", "grace_period": "\(grace)"]
        )
        eventLoop.scheduleTask(in: TimeAmount(grace)) { [self] in
            let left = state.withLockedValue { state -> [Entry] in
                defer { state.entries = [:] }
                return Array(state.entries.values)
            }
            guard !left.isEmpty else { return }
            logger.warning(
                "shutdown: grace period over; closing connections whose requests did not finish",
                metadata: ["connections": "\(left.count)", "grace_period": "\(grace)"]
            )
            for entry in left { entry.channel.close(promise: nil) }
        }
    }
}
