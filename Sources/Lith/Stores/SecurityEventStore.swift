import Foundation

/// The security log, kept in the store beside the accounts it is about.
public protocol SecurityEventStore: Sendable {
    /// Appends one event.
    func insertEvent(_ event: SecurityEvent) async throws

    /// Appends `event` unless an event of the same kind, email and address
    /// was recorded at or after `since`; returns whether it was written.
    /// One check-and-insert, so the instances of a fleet write one entry
    /// between them ("login throttled" once a minute, not once per instance).
    @discardableResult func insertEvent(_ event: SecurityEvent, unlessRecordedSince since: Date) async throws -> Bool

    /// A user's latest events, newest first, at most `limit`.
    func events(userID: User.ID, limit: Int) async throws -> [SecurityEvent]

    /// Events since `since` (everything if `nil`), about `email` if given,
    /// oldest first, at most `limit` (the newest ones when there are more).
    func events(email: EmailAddress?, since: Date?, limit: Int) async throws -> [SecurityEvent]

    /// Forgets events older than `cutoff` (the retention period); returns
    /// how many went. Idempotent.
    @discardableResult func deleteEvents(before cutoff: Date) async throws -> Int
}
