import Foundation
import PostgresNIO

extension PostgresStore: LinkTokenStore, OutboxStore {
    enum LinkColumns {
        static let list = "purpose, user_id, created_at, expires_at, email"
        typealias Row = (String, Int64, Int64, Int64, String?)

        static func record(_ row: Row) -> LinkTokenRecord? {
            guard let purpose = LinkPurpose(rawValue: row.0) else { return nil }
            return LinkTokenRecord(
                purpose: purpose,
                userID: row.1,
                createdAt: Date(unixSeconds: row.2),
                expiresAt: Date(unixSeconds: row.3),
                email: row.4.map(EmailAddress.init(stored:))
            )
        }
    }

    public func issueLink(digest: String, record: LinkTokenRecord, mail: OutgoingMail?) async throws {
        let created = record.createdAt.unixSeconds
        let expires = record.expiresAt.unixSeconds
        try await run(.issueLink) { [logger] connection in
            // The token and its mail in one transaction.
            try await connection.withTransaction(logger: logger) { connection in
                if let mail {
                    try await connection.query(
                        """
                        INSERT INTO mail_outbox (sender, recipient, message, queued_at, next_attempt_at)
                        VALUES (\(mail.from.value), \(mail.to.value), \(mail.data), \(created), \(created))
                        """,
                        logger: logger
                    )
                }
                // One row per user and purpose: the newest link replaces the one before it.
                try await connection.query(
                    """
                    INSERT INTO link_tokens (token_hash, \(unescaped: LinkColumns.list))
                    VALUES (\(digest), \(record.purpose.rawValue), \(record.userID), \(created), \(expires), \(record.email?.value))
                    ON CONFLICT (user_id, purpose) DO UPDATE SET
                        token_hash = EXCLUDED.token_hash, created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at,
                        email = EXCLUDED.email
                    """,
                    logger: logger
                )
            }
        }
    }

    public func link(digest: String, purpose: LinkPurpose) async throws -> LinkTokenRecord? {
        try await run(.link) { connection in
            let rows = try await connection.query(
                "SELECT \(unescaped: LinkColumns.list) FROM link_tokens WHERE token_hash = \(digest) AND purpose = \(purpose.rawValue)"
            )
            for try await row in rows.decode(LinkColumns.Row.self) { return LinkColumns.record(row) }
            return nil
        }
    }

    public func useLink(digest: String, purpose: LinkPurpose) async throws -> LinkTokenRecord? {
        try await run(.useLink) { connection in
            let rows = try await connection.query(
                "DELETE FROM link_tokens WHERE token_hash = \(digest) AND purpose = \(purpose.rawValue) RETURNING \(unescaped: LinkColumns.list)"
            )
            for try await row in rows.decode(LinkColumns.Row.self) { return LinkColumns.record(row) }
            return nil
        }
    }

    public func deleteLinks(userID: User.ID, purpose: LinkPurpose) async throws {
        _ = try await run(.deleteLinks) { connection in
            try await connection.query("DELETE FROM link_tokens WHERE user_id = \(userID) AND purpose = \(purpose.rawValue)")
        }
    }

    @discardableResult
    public func deleteExpiredLinks(now: Date) async throws -> Int {
        let seconds = now.unixSeconds
        return try await run(.deleteLinks, timeout: 60) { connection in
            var count = 0
            for try await _ in try await connection.query("DELETE FROM link_tokens WHERE expires_at <= \(seconds) RETURNING 1").decode(Int32.self) {
                count += 1
            }
            return count
        }
    }

    // MARK: the outbox

    public func enqueue(_ mail: OutgoingMail, at now: Date) async throws {
        let seconds = now.unixSeconds
        _ = try await run(.enqueueMail) { connection in
            try await connection.query(
                """
                INSERT INTO mail_outbox (sender, recipient, message, queued_at, next_attempt_at)
                VALUES (\(mail.from.value), \(mail.to.value), \(mail.data), \(seconds), \(seconds))
                """
            )
        }
    }

    public func claimDueMail(now: Date, lease: TimeInterval, limit: Int) async throws -> [QueuedMail] {
        let seconds = now.unixSeconds
        let until = seconds + Int64(lease)
        return try await run(.claimMail) { connection in
            // SKIP LOCKED: instances claiming at the same moment take
            // different rows instead of waiting for each other; the lease
            // (claimed_until) keeps a claimed row away from the others
            // until it is finished or its sender has died.
            let rows = try await connection.query(
                """
                UPDATE mail_outbox SET claimed_until = \(until), attempts = attempts + 1
                WHERE id IN (
                    SELECT id FROM mail_outbox
                    WHERE status = 'queued' AND next_attempt_at <= \(seconds) AND claimed_until <= \(seconds)
                    ORDER BY next_attempt_at, id LIMIT \(Int64(limit))
                    FOR UPDATE SKIP LOCKED
                )
                RETURNING id, sender, recipient, message, attempts, queued_at
                """
            )
            var claimed: [QueuedMail] = []
            for try await row in rows.decode((Int64, String, String, String?, Int32, Int64).self) {
                guard let message = row.3 else { continue }
                claimed.append(
                    QueuedMail(
                        id: row.0,
                        mail: OutgoingMail(from: EmailAddress(stored: row.1), to: EmailAddress(stored: row.2), data: message),
                        attempts: Int(row.4),
                        queuedAt: Date(unixSeconds: row.5)
                    )
                )
            }
            return claimed.sorted { $0.id < $1.id }
        }
    }

    public func markSent(_ id: Int64, at now: Date) async throws {
        let seconds = now.unixSeconds
        _ = try await run(.finishMail) { connection in
            try await connection.query(
                """
                UPDATE mail_outbox SET status = 'sent', message = NULL, finished_at = \(seconds), claimed_until = 0, last_error = NULL
                WHERE id = \(id)
                """
            )
        }
    }

    public func markFailed(_ id: Int64, error: String, retryAt: Date?, at now: Date) async throws {
        let seconds = now.unixSeconds
        _ = try await run(.finishMail) { connection in
            if let retry = retryAt?.unixSeconds {
                try await connection.query(
                    "UPDATE mail_outbox SET next_attempt_at = \(retry), claimed_until = 0, last_error = \(error) WHERE id = \(id)"
                )
            } else {
                try await connection.query(
                    """
                    UPDATE mail_outbox SET status = 'failed', message = NULL, finished_at = \(seconds), claimed_until = 0,
                        last_error = \(error)
                    WHERE id = \(id)
                    """
                )
            }
        }
    }

    public func outbox(limit: Int) async throws -> [OutboxEntry] {
        try await run(.outbox) { connection in
            let rows = try await connection.query(
                """
                SELECT id, recipient, status, attempts, queued_at, next_attempt_at, last_error
                FROM mail_outbox ORDER BY id DESC LIMIT \(Int64(limit))
                """
            )
            var entries: [OutboxEntry] = []
            for try await row in rows.decode((Int64, String, String, Int32, Int64, Int64, String?).self) {
                guard let status = OutboxEntry.Status(rawValue: row.2) else { continue }
                entries.append(
                    OutboxEntry(
                        id: row.0,
                        to: row.1,
                        status: status,
                        attempts: Int(row.3),
                        queuedAt: Date(unixSeconds: row.4),
                        nextAttemptAt: Date(unixSeconds: row.5),
                        lastError: row.6
                    )
                )
            }
            return entries
        }
    }

    @discardableResult
    public func deleteFinishedMail(before cutoff: Date) async throws -> Int {
        let seconds = cutoff.unixSeconds
        return try await run(.finishMail, timeout: 60) { connection in
            var count = 0
            let rows = try await connection.query(
                "DELETE FROM mail_outbox WHERE status IN ('sent', 'failed') AND finished_at < \(seconds) RETURNING 1"
            )
            for try await _ in rows.decode(Int32.self) { count += 1 }
            return count
        }
    }
}
