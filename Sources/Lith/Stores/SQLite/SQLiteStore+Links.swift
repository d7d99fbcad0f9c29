import Foundation
import SQLiteNIO

extension SQLiteStore: LinkTokenStore, OutboxStore {
    enum LinkColumns {
        static let list = "purpose, user_id, created_at, expires_at, email"

        static func record(_ row: SQLiteRow) -> LinkTokenRecord? {
            guard let purpose = row.column("purpose")?.string.flatMap(LinkPurpose.init(rawValue:)),
                let userID = row.column("user_id")?.integer
            else { return nil }
            return LinkTokenRecord(
                purpose: purpose,
                userID: Int64(userID),
                createdAt: Date(unixSeconds: Int64(row.column("created_at")?.integer ?? 0)),
                expiresAt: Date(unixSeconds: Int64(row.column("expires_at")?.integer ?? 0)),
                email: row.column("email")?.string.map(EmailAddress.init(stored:))
            )
        }
    }

    public func issueLink(digest: String, record: LinkTokenRecord, mail: OutgoingMail?) async throws {
        // The mail first, then the token, each one statement: a token is
        // never stored without its mail queued. (The writer connection is
        // shared by concurrent requests, so Lith's SQLite writes are single
        // statements, never a transaction another request could fall into.)
        if let mail { try await enqueue(mail, at: record.createdAt) }
        try await write(.issueLink) {
            // One row per user and purpose: the newest link replaces the
            // one before it, atomically.
            _ = try await writer.query(
                """
                INSERT INTO link_tokens (token_hash, \(LinkColumns.list)) VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT (user_id, purpose) DO UPDATE SET
                    token_hash = excluded.token_hash, created_at = excluded.created_at, expires_at = excluded.expires_at,
                    email = excluded.email
                """,
                [
                    .text(digest), .text(record.purpose.rawValue), .integer(Int(record.userID)),
                    .integer(Int(record.createdAt.unixSeconds)), .integer(Int(record.expiresAt.unixSeconds)),
                    record.email.map { .text($0.value) } ?? .null,
                ]
            )
        }
    }

    public func link(digest: String, purpose: LinkPurpose) async throws -> LinkTokenRecord? {
        try read(
            .link,
            "SELECT \(LinkColumns.list) FROM link_tokens WHERE token_hash = ? AND purpose = ?",
            [.text(digest), .text(purpose.rawValue)]
        ) { row -> LinkTokenRecord? in
            guard let purpose = row.text(0).flatMap(LinkPurpose.init(rawValue:)) else { return nil }
            return LinkTokenRecord(
                purpose: purpose,
                userID: row.int(1),
                createdAt: Date(unixSeconds: row.int(2)),
                expiresAt: Date(unixSeconds: row.int(3)),
                email: row.text(4).map(EmailAddress.init(stored:))
            )
        }.first ?? nil
    }

    public func useLink(digest: String, purpose: LinkPurpose) async throws -> LinkTokenRecord? {
        try await write(.useLink) {
            try await writer.query(
                "DELETE FROM link_tokens WHERE token_hash = ? AND purpose = ? RETURNING \(LinkColumns.list)",
                [.text(digest), .text(purpose.rawValue)]
            ).first.flatMap(LinkColumns.record)
        }
    }

    public func deleteLinks(userID: User.ID, purpose: LinkPurpose) async throws {
        try await write(.deleteLinks) {
            _ = try await writer.query(
                "DELETE FROM link_tokens WHERE user_id = ? AND purpose = ?",
                [.integer(Int(userID)), .text(purpose.rawValue)]
            )
        }
    }

    @discardableResult
    public func deleteExpiredLinks(now: Date) async throws -> Int {
        try await write(.deleteLinks) {
            try await writer.query("DELETE FROM link_tokens WHERE expires_at <= ? RETURNING 1", [.integer(Int(now.unixSeconds))]).count
        }
    }

    // MARK: the outbox

    public func enqueue(_ mail: OutgoingMail, at now: Date) async throws {
        try await write(.enqueueMail) {
            _ = try await writer.query(
                "INSERT INTO mail_outbox (sender, recipient, message, queued_at, next_attempt_at) VALUES (?, ?, ?, ?, ?)",
                [
                    .text(mail.from.value), .text(mail.to.value), .text(mail.data), .integer(Int(now.unixSeconds)),
                    .integer(Int(now.unixSeconds)),
                ]
            )
        }
    }

    public func claimDueMail(now: Date, lease: TimeInterval, limit: Int) async throws -> [QueuedMail] {
        let seconds = Int(now.unixSeconds)
        return try await write(.claimMail) {
            // One statement under SQLite's write lock: two senders can't claim one message.
            try await writer.query(
                """
                UPDATE mail_outbox SET claimed_until = ?, attempts = attempts + 1
                WHERE id IN (
                    SELECT id FROM mail_outbox
                    WHERE status = 'queued' AND next_attempt_at <= ? AND claimed_until <= ?
                    ORDER BY next_attempt_at, id LIMIT ?
                )
                RETURNING id, sender, recipient, message, attempts, queued_at
                """,
                [.integer(seconds + Int(lease)), .integer(seconds), .integer(seconds), .integer(limit)]
            ).compactMap { row -> QueuedMail? in
                guard let id = row.column("id")?.integer, let sender = row.column("sender")?.string,
                    let recipient = row.column("recipient")?.string, let message = row.column("message")?.string
                else { return nil }
                return QueuedMail(
                    id: Int64(id),
                    mail: OutgoingMail(from: EmailAddress(stored: sender), to: EmailAddress(stored: recipient), data: message),
                    attempts: row.column("attempts")?.integer ?? 1,
                    queuedAt: Date(unixSeconds: Int64(row.column("queued_at")?.integer ?? 0))
                )
            }.sorted { $0.id < $1.id }
        }
    }

    public func markSent(_ id: Int64, at now: Date) async throws {
        try await write(.finishMail) {
            _ = try await writer.query(
                "UPDATE mail_outbox SET status = 'sent', message = NULL, finished_at = ?, claimed_until = 0, last_error = NULL WHERE id = ?",
                [.integer(Int(now.unixSeconds)), .integer(Int(id))]
            )
        }
    }

    public func markFailed(_ id: Int64, error: String, retryAt: Date?, at now: Date) async throws {
        try await write(.finishMail) {
            if let retryAt {
                _ = try await writer.query(
                    "UPDATE mail_outbox SET next_attempt_at = ?, claimed_until = 0, last_error = ? WHERE id = ?",
                    [.integer(Int(retryAt.unixSeconds)), .text(error), .integer(Int(id))]
                )
            } else {
                _ = try await writer.query(
                    "UPDATE mail_outbox SET status = 'failed', message = NULL, finished_at = ?, claimed_until = 0, last_error = ? WHERE id = ?",
                    [.integer(Int(now.unixSeconds)), .text(error), .integer(Int(id))]
                )
            }
        }
    }

    public func outbox(limit: Int) async throws -> [OutboxEntry] {
        try read(
            .outbox,
            "SELECT id, recipient, status, attempts, queued_at, next_attempt_at, last_error FROM mail_outbox ORDER BY id DESC LIMIT ?",
            [.integer(Int64(limit))]
        ) { row -> OutboxEntry? in
            guard let status = row.text(2).flatMap(OutboxEntry.Status.init(rawValue:)) else { return nil }
            return OutboxEntry(
                id: row.int(0),
                to: row.text(1) ?? "",
                status: status,
                attempts: Int(row.int(3)),
                queuedAt: Date(unixSeconds: row.int(4)),
                nextAttemptAt: Date(unixSeconds: row.int(5)),
                lastError: row.text(6)
            )
        }.compactMap { $0 }
    }

    @discardableResult
    public func deleteFinishedMail(before cutoff: Date) async throws -> Int {
        try await write(.finishMail) {
            try await writer.query(
                "DELETE FROM mail_outbox WHERE status IN ('sent', 'failed') AND finished_at < ? RETURNING 1",
                [.integer(Int(cutoff.unixSeconds))]
            ).count
        }
    }
}
