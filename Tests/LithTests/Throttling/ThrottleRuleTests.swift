import Foundation
import Testing

@testable import Lith

/// How one counter makes attempts wait (``ThrottleRule``).
@Suite("Throttle rule")
struct ThrottleRuleTests {
    let rule = ThrottleRule(freeFailures: 5, firstDelay: 30, maximumDelay: 900, window: 3600)
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func theFreeFailuresCostNoWait() {
        // given four failures, the last just now, then five
        // then no wait until the fifth; after it, the first delay
        #expect(rule.wait(failures: 4, lastFailureAt: now, now: now) == nil)
        #expect(rule.wait(failures: 5, lastFailureAt: now, now: now) == 30)
    }

    @Test func eachFurtherFailureDoublesTheWaitUpToTheCap() {
        // when failures pile up past the free ones
        let waits = (5...12).map { rule.delay(afterFailures: $0) }
        // then the wait doubles, and stops at the cap
        #expect(waits == [30, 60, 120, 240, 480, 900, 900, 900])
    }

    @Test func theWaitRunsFromTheLastFailure() {
        // given the fifth failure ten seconds ago
        let last = now.addingTimeInterval(-10)
        // then twenty seconds remain, and none after thirty
        #expect(rule.wait(failures: 5, lastFailureAt: last, now: now) == 20)
        #expect(rule.wait(failures: 5, lastFailureAt: last, now: now.addingTimeInterval(20)) == nil)
    }

    @Test func anExpiredCounterMakesNoOneWait() {
        // given six failures whose window has ended
        let counter = Counter(failures: 6, lastFailureAt: now, previousFailureAt: now, failuresExpireAt: now, knownUntil: nil)
        // then they count as none
        #expect(rule.wait(counter, now: now) == nil)
    }

    @Test func anAttemptIsJudgedOnTheCountBeforeItsOwnFailure() {
        // given the counter an attempt left: its own failure the sixth, the fifth a second before
        let counter = Counter(
            failures: 6,
            lastFailureAt: now,
            previousFailureAt: now.addingTimeInterval(-1),
            failuresExpireAt: now.addingTimeInterval(3600),
            knownUntil: nil
        )
        // then it was over the limit: it should have waited 29 more seconds
        #expect(rule.allowed(after: counter, now: now) == 29)
    }

    @Test func theWindowIsNeverShorterThanTheLongestWait() {
        // a counter must not be forgotten while it is making someone wait
        #expect(ThrottleRule(freeFailures: 1, firstDelay: 60, maximumDelay: 600, window: 10).window == 600)
    }
}
