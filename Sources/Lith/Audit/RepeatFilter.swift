import Foundation
import NIOConcurrencyHelpers

/// Lets one event per key through per `interval`: a flood of throttled
/// attempts is one "login throttled" entry a minute in the security log, not
/// one database write per refused request (the flood would otherwise buy
/// writes with requests that cost it nothing, and bury the log).
final class RepeatFilter: Sendable {
    let interval: TimeInterval
    /// Keys remembered at most; past it the memory starts over (an attacker
    /// cycling keys gets a few extra entries, not unbounded memory).
    static let capacity = 10_000

    private let seen = NIOLockedValueBox<[String: Date]>([:])

    init(interval: TimeInterval = 60) {
        self.interval = interval
    }

    /// Whether an event for `key` at `now` should be recorded.
    func admits(_ key: String, at now: Date) -> Bool {
        seen.withLockedValue { seen in
            if let last = seen[key], now.timeIntervalSince(last) < interval { return false }
            if seen.count >= Self.capacity { seen.removeAll(keepingCapacity: true) }
            seen[key] = now
            return true
        }
    }
}
