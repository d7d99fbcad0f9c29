import Logging
import NIOConcurrencyHelpers

/// A log that writes at most a few lines a second, for events an anonymous
/// client can cause at will (refused requests, timed-out connections): a
/// flood of them must not become a flood of log lines that fills the disk or
/// buries everything else. Lines past the budget are counted, and the next
/// line written says how many were left out.
public final class RateLimitedLog: Sendable {
    private let logger: Logger
    private let linesPerSecond: Double
    private let burst: Double
    private let state: NIOLockedValueBox<State>

    private struct State {
        var tokens: Double
        var refilledAt: ContinuousClock.Instant
        var suppressed = 0
    }

    /// 10 lines a second after a burst of 20: enough to see what is
    /// happening, few enough that a flood costs kilobytes a second.
    public init(logger: Logger, linesPerSecond: Double = 10, burst: Double = 20) {
        self.logger = logger
        self.linesPerSecond = linesPerSecond
        self.burst = burst
        self.state = NIOLockedValueBox(State(tokens: burst, refilledAt: .now))
    }

    /// Logs `message` if the budget allows. Metadata values must already be
    /// log-safe (``Swift/StringProtocol/logSafe``) where they come from a request.
    public func log(_ level: Logger.Level, _ message: @autoclosure () -> Logger.Message, metadata: @autoclosure () -> Logger.Metadata = [:]) {
        guard logger.logLevel <= level else { return }
        let now = ContinuousClock.now
        let suppressed = state.withLockedValue { state -> Int? in
            let elapsed = now - state.refilledAt
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            state.tokens = min(burst, state.tokens + seconds * linesPerSecond)
            state.refilledAt = now
            guard state.tokens >= 1 else {
                state.suppressed += 1
                return nil
            }
            state.tokens -= 1
            defer { state.suppressed = 0 }
            return state.suppressed
        }
        guard let suppressed else { return }
        var metadata = metadata()
        if suppressed > 0 { metadata["suppressed_before"] = "\(suppressed)" }
        logger.log(level: level, message(), metadata: metadata)
    }
}
