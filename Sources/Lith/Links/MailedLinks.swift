import Foundation

/// What every flow that mails a link shares (``PasswordResets``,
/// ``EmailVerifications``, ``EmailChanges``): the store that keeps the
/// links and the outbox, where links point, the security log and the clock.
///
/// A link is issued in one store step with the mail that carries it, so
/// neither exists without the other; the store keeps only the token's
/// SHA-256 (``LinkToken``), and a newer link of the same purpose replaces
/// the user's earlier one.
public struct MailedLinks: Sendable {
    let store: any Store
    let mail: MailQueue
    /// Where links point: the site's public origin (`--public-url`), never
    /// the request's Host header, which whoever sends the request chooses.
    /// Asked each time: a server on port 0 learns its port when it listens.
    let origin: @Sendable () -> String
    let securityLog: any SecurityLog
    let clock: @Sendable () -> Date

    public init(
        store: any Store,
        mail: MailQueue,
        origin: @escaping @Sendable () -> String,
        securityLog: any SecurityLog,
        clock: @escaping @Sendable () -> Date = Date.init
    ) {
        self.store = store
        self.mail = mail
        self.origin = origin
        self.securityLog = securityLog
        self.clock = clock
    }

    /// Issues a link to `path` for `user`, valid for `lifetime`, and queues
    /// `letter` (given the link) in the same step; with no letter the link
    /// is only returned (an operator reads it out). `address`: the address
    /// the link proves, for links that prove one.
    @discardableResult
    func issue(
        _ purpose: LinkPurpose,
        for user: User,
        address: EmailAddress? = nil,
        path: String,
        lifetime: TimeInterval,
        letter: ((_ link: String) -> MailMessage)?
    ) async throws -> String {
        let token = LinkToken.generate()
        let now = clock()
        let record = LinkTokenRecord(
            purpose: purpose,
            userID: user.id,
            createdAt: now,
            expiresAt: now.addingTimeInterval(lifetime),
            email: address
        )
        let link = token.link(origin: origin(), path: path)
        let message = letter.map { mail.composer.compose($0(link)) }
        try await store.issueLink(digest: token.digest, record: record, mail: message)
        if message != nil { mail.queued() }
        return link
    }

    /// The record's user, if its link may still be used: not expired, and
    /// not asked for before the password last changed (whoever asked may be
    /// the one that change shut out).
    func owner(of record: LinkTokenRecord) async throws -> User? {
        guard record.expiresAt > clock(), let user = try await store.credentials(userID: record.userID)?.user,
            record.createdAt >= user.passwordChangedAt
        else { return nil }
        return user
    }
}
