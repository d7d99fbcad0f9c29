import Foundation
@_spi(Testing) import LithTestSupport
import Testing

@_spi(Testing) @testable import Lith

@Suite("Session policy")
struct SessionPolicyTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000)

    private func session(lifetime: TimeInterval, idle: TimeInterval, rememberMe: Bool = false) -> SessionRecord {
        SessionRecord(
            id: SessionID.generate(),
            tokenDigest: SessionToken.generate().digest,
            userID: 1,
            createdAt: start,
            lastSeenAt: start,
            expiresAt: start.addingTimeInterval(lifetime),
            idleTimeout: idle,
            rememberMe: rememberMe,
            userAgent: nil,
            ipAddress: nil
        )
    }

    @Test func shorterTimeoutsApplyToSessionsCreatedUnderLongerOnes() {
        // given a session created when the idle timeout was 30 minutes
        let old = session(lifetime: 12 * 3600, idle: 30 * 60)
        // when the operator cuts it to 5 minutes
        let strict = SessionPolicy(absoluteLifetime: 12 * 3600, idleTimeout: 5 * 60)
        // then the old session ends after 5 idle minutes
        #expect(strict.hasExpired(old, at: start.addingTimeInterval(6 * 60)))
        #expect(!SessionPolicy().hasExpired(old, at: start.addingTimeInterval(6 * 60)))
    }

    @Test func aShorterRememberMeLifetimeEndsOldRememberedSessions() {
        let remembered = session(lifetime: 30 * 86400, idle: 7 * 86400, rememberMe: true)
        let strict = SessionPolicy(rememberMeLifetime: 86400, rememberMeIdleTimeout: 86400)
        #expect(strict.hasExpired(remembered, at: start.addingTimeInterval(86400)))
    }

    @Test func longerTimeoutsDoNotExtendASession() {
        let short = session(lifetime: 3600, idle: 600)
        let generous = SessionPolicy(absoluteLifetime: 86400, idleTimeout: 86400)
        #expect(generous.hasExpired(short, at: start.addingTimeInterval(601)))
    }
}
