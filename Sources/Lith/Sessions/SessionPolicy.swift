import Foundation

/// How long sessions live. The server enforces every one of these; the cookie's
/// own expiry is only a hint to the browser.
public struct SessionPolicy: Sendable, Equatable {
    /// ASVS 3.3.2 (L2): re-authenticate at least every 12 hours.
    public var absoluteLifetime: TimeInterval
    /// ASVS 3.3.2 (L2): end a session after 30 minutes without activity.
    public var idleTimeout: TimeInterval
    /// "Remember me" keeps this one device signed in for up to 30 days...
    public var rememberMeLifetime: TimeInterval
    /// ...as long as it is used at least once a week.
    public var rememberMeIdleTimeout: TimeInterval
    /// A signed-in page view writes `last_seen_at` only when it is older than
    /// this, so most page views are one read and no write.
    public var lastSeenResolution: TimeInterval

    public init(
        absoluteLifetime: TimeInterval = 12 * 3600,
        idleTimeout: TimeInterval = 30 * 60,
        rememberMeLifetime: TimeInterval = 30 * 86400,
        rememberMeIdleTimeout: TimeInterval = 7 * 86400,
        lastSeenResolution: TimeInterval = 60
    ) {
        self.absoluteLifetime = absoluteLifetime
        self.idleTimeout = idleTimeout
        self.rememberMeLifetime = rememberMeLifetime
        self.rememberMeIdleTimeout = rememberMeIdleTimeout
        self.lastSeenResolution = lastSeenResolution
    }

    /// Whether `session` has ended at `now`, by the deadlines it was created
    /// with or by today's policy, whichever is stricter: shortening the
    /// timeouts after an incident takes effect on existing sessions at once.
    func hasExpired(_ session: SessionRecord, at now: Date) -> Bool {
        session.hasExpired(at: now)
            || now >= session.createdAt.addingTimeInterval(lifetime(rememberMe: session.rememberMe))
            || now >= session.lastSeenAt.addingTimeInterval(idle(rememberMe: session.rememberMe))
    }

    func lifetime(rememberMe: Bool) -> TimeInterval { rememberMe ? rememberMeLifetime : absoluteLifetime }
    func idle(rememberMe: Bool) -> TimeInterval { rememberMe ? rememberMeIdleTimeout : idleTimeout }
}
