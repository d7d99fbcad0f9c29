import Foundation

/// A signed-in browser, as the store keeps it: keyed by the token's digest,
/// never by the token.
public struct SessionRecord: Sendable, Hashable {
    /// The name the account page and the security log know it by.
    public let id: SessionID
    public let tokenDigest: SessionToken.Digest
    public let userID: User.ID
    public let createdAt: Date
    public var lastSeenAt: Date
    /// The absolute deadline, whatever the activity.
    public let expiresAt: Date
    /// How long the session survives without a request.
    public let idleTimeout: TimeInterval
    /// Made by "remember me": a long-lived session for this one device.
    public let rememberMe: Bool
    public let userAgent: String?
    /// The client's address when it signed in (behind a trusted proxy, the
    /// address the proxy saw: ``TrustedProxies``).
    public let ipAddress: String?

    public init(
        id: SessionID,
        tokenDigest: SessionToken.Digest,
        userID: User.ID,
        createdAt: Date,
        lastSeenAt: Date,
        expiresAt: Date,
        idleTimeout: TimeInterval,
        rememberMe: Bool,
        userAgent: String?,
        ipAddress: String?
    ) {
        self.id = id
        self.tokenDigest = tokenDigest
        self.userID = userID
        self.createdAt = createdAt
        self.lastSeenAt = lastSeenAt
        self.expiresAt = expiresAt
        self.idleTimeout = idleTimeout
        self.rememberMe = rememberMe
        self.userAgent = userAgent
        self.ipAddress = ipAddress
    }

    /// Whether the session has ended by either clock at `now`.
    public func hasExpired(at now: Date) -> Bool {
        now >= expiresAt || now >= lastSeenAt.addingTimeInterval(idleTimeout)
    }
}
