import Foundation

/// How one counter slows attempts down: a few failures are free, then each
/// further attempt must wait after the last failure — a wait that doubles
/// with every failure, up to a cap. Online guessing becomes a handful of
/// tries an hour, while a person who mistyped waits seconds, not a day.
public struct ThrottleRule: Sendable, Equatable {
    /// Failures allowed before any wait.
    public var freeFailures: Int
    /// The wait after the first failure past the free ones.
    public var firstDelay: TimeInterval
    /// The longest wait; the doubling stops here.
    public var maximumDelay: TimeInterval
    /// How long after its last failure a counter is forgotten. At least
    /// ``maximumDelay``, so a counter can't expire while it makes someone wait.
    public var window: TimeInterval

    public init(freeFailures: Int, firstDelay: TimeInterval, maximumDelay: TimeInterval, window: TimeInterval) {
        self.freeFailures = max(0, freeFailures)
        self.firstDelay = max(1, firstDelay)
        self.maximumDelay = max(self.firstDelay, maximumDelay)
        self.window = max(self.maximumDelay, window)
    }

    /// The wait the `failures`-th failure imposes (only past the free ones).
    func delay(afterFailures failures: Int) -> TimeInterval {
        let doublings = min(max(0, failures - freeFailures), 30)
        return min(firstDelay * Double(1 << doublings), maximumDelay)
    }

    /// How long an attempt at `now` must still wait, or `nil` if it may go
    /// ahead, given the counter's `failures` and when the last one was.
    func wait(failures: Int, lastFailureAt: Date?, now: Date) -> TimeInterval? {
        guard failures >= freeFailures, freeFailures >= 0, let lastFailureAt else { return nil }
        let remaining = lastFailureAt.addingTimeInterval(delay(afterFailures: failures)).timeIntervalSince(now)
        return remaining > 0 ? remaining : nil
    }

    /// As ``wait(failures:lastFailureAt:now:)`` for a stored counter.
    func wait(_ counter: Counter?, now: Date) -> TimeInterval? {
        guard let counter else { return nil }
        return wait(failures: counter.failures(at: now), lastFailureAt: counter.lastFailureAt, now: now)
    }

    /// Whether the attempt that left `counter` as it is (its failure already
    /// added) was allowed: judged on the counter as it was before that failure.
    func allowed(after counter: Counter, now: Date) -> TimeInterval? {
        wait(failures: counter.failures - 1, lastFailureAt: counter.previousFailureAt, now: now)
    }
}
