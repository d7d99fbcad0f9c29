import Foundation
import Lith

/// Values the store and session suites share.
public enum Fixtures {
    public static let now = Date(timeIntervalSince1970: 1_800_000_000)

    /// A well-formed hash nothing verifies against.
    public static let hash = try! PasswordHash(encoded: "$scrypt$ln=4,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")

    /// A session for `user` made at `now`, as ``Authentication`` would store it.
    public static func session(
        _ token: SessionToken,
        user: User,
        at now: Date = now,
        lifetime: TimeInterval = 3600,
        idle: TimeInterval = 600,
        id: SessionID = .generate()
    ) -> SessionRecord {
        SessionRecord(
            id: id,
            tokenDigest: token.digest,
            userID: user.id,
            createdAt: now,
            lastSeenAt: now,
            expiresAt: now.addingTimeInterval(lifetime),
            idleTimeout: idle,
            rememberMe: false,
            userAgent: "test-agent",
            ipAddress: "127.0.0.1"
        )
    }
}
