import Foundation

/// What a mailed link is for.
public enum LinkPurpose: String, Sendable, CaseIterable {
    /// "Forgot your password?": sets a new password.
    case passwordReset = "password_reset"
    /// Proves the account's address reaches its owner.
    case emailVerification = "email_verification"
    /// Moves the account to a new address, once that address is proved.
    case emailChange = "email_change"
}

/// A link token as the store keeps it (by digest).
public struct LinkTokenRecord: Sendable, Equatable {
    public let purpose: LinkPurpose
    public let userID: User.ID
    public let createdAt: Date
    public let expiresAt: Date
    /// The address the link was mailed to, when that matters: the one a
    /// verification proves, the new one an address change moves to.
    public let email: EmailAddress?

    public init(purpose: LinkPurpose, userID: User.ID, createdAt: Date, expiresAt: Date, email: EmailAddress? = nil) {
        self.purpose = purpose
        self.userID = userID
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.email = email
    }
}

/// The tokens of mailed links, and the outbox their mail waits in: issuing
/// a link and queueing the mail that carries it are one transaction, so a
/// link is never stored without its mail or mailed without being stored.
public protocol LinkTokenStore: Sendable {
    /// Stores `digest` and queues `mail` (if any: an operator's link is
    /// printed, not mailed) in one step: never a stored token whose mail
    /// is lost. Earlier tokens of the same purpose for the user are
    /// replaced: only the newest link works.
    func issueLink(digest: String, record: LinkTokenRecord, mail: OutgoingMail?) async throws

    /// The token with `digest` and `purpose`, expired or not (the caller
    /// decides), without using it up; `nil` if there is none.
    func link(digest: String, purpose: LinkPurpose) async throws -> LinkTokenRecord?

    /// Deletes and returns the token: of concurrent calls exactly one gets
    /// it, so a link works once.
    func useLink(digest: String, purpose: LinkPurpose) async throws -> LinkTokenRecord?

    /// Deletes every token of `purpose` for the user (their password changed).
    func deleteLinks(userID: User.ID, purpose: LinkPurpose) async throws

    /// Removes tokens expired at `now`; returns how many. Idempotent.
    @discardableResult func deleteExpiredLinks(now: Date) async throws -> Int
}

/// One message in the outbox.
public struct QueuedMail: Sendable, Equatable {
    public let id: Int64
    public let mail: OutgoingMail
    /// Tries so far, this one included.
    public let attempts: Int
    public let queuedAt: Date
}

/// A line of `lith mail queue`.
public struct OutboxEntry: Sendable, Equatable {
    public enum Status: String, Sendable { case queued, sent, failed }
    public let id: Int64
    public let to: String
    public let status: Status
    public let attempts: Int
    public let queuedAt: Date
    public let nextAttemptAt: Date
    public let lastError: String?
}

/// Mail waiting to go out. Messages are written here in the same step as
/// the action that causes them and taken out by ``MailDelivery``.
public protocol OutboxStore: Sendable {
    /// Queues `mail` to be sent as soon as possible.
    func enqueue(_ mail: OutgoingMail, at now: Date) async throws

    /// Claims up to `limit` messages that are due and not claimed by
    /// anyone, for `lease` seconds (another sender may take them after
    /// that, if this one died). Every instance of a fleet can call this at
    /// once: a message is claimed by one of them.
    func claimDueMail(now: Date, lease: TimeInterval, limit: Int) async throws -> [QueuedMail]

    /// The message was accepted by the mail server. Its text (which holds
    /// a working link) is dropped; the line stays for `lith mail queue`
    /// until purged.
    func markSent(_ id: Int64, at now: Date) async throws

    /// The message could not be sent: tried again at `retryAt`, or given up
    /// on (`nil`: a permanent failure); `error` says why.
    func markFailed(_ id: Int64, error: String, retryAt: Date?, at now: Date) async throws

    /// The newest `limit` messages, newest first.
    func outbox(limit: Int) async throws -> [OutboxEntry]

    /// Forgets sent and failed messages finished before `cutoff`; returns how many.
    @discardableResult func deleteFinishedMail(before cutoff: Date) async throws -> Int
}
