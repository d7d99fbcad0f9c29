import Foundation
import SQLiteNIO

extension SQLiteStore: UserStore {
    /// The columns a ``User`` is read from, and how: the one place their
    /// order is written down (every query selecting a user starts with them).
    enum UserColumns {
        static let list = "u.id, u.email, u.created_at, u.password_changed_at, u.email_verified_at"
        static let count: Int32 = 5

        static func user(_ row: SQLiteReader.Row) throws -> User {
            guard let email = row.text(1) else { throw StoreError.failure("unreadable user row") }
            return User(
                id: row.int(0),
                email: EmailAddress(stored: email),
                createdAt: Date(unixSeconds: row.int(2)),
                passwordChangedAt: Date(unixSeconds: row.int(3)),
                emailVerifiedAt: row.isNull(4) ? nil : Date(unixSeconds: row.int(4))
            )
        }
    }

    public func insertUser(email: EmailAddress, passwordHash: PasswordHash, at now: Date) async throws -> User {
        let id = try await write(.insertUser) { () -> Int64 in
            let rows: [SQLiteRow]
            do {
                rows = try await writer.query(
                    "INSERT INTO users (email, password_hash, created_at, password_changed_at) VALUES (?, ?, ?, ?) RETURNING id",
                    [.text(email.value), .text(passwordHash.encoded), .integer(Int(now.unixSeconds)), .integer(Int(now.unixSeconds))]
                )
            } catch let error as SQLiteError where Self.isUniqueViolation(error) {
                throw StoreError.emailTaken
            }
            guard let id = rows.first?.column("id")?.integer else { throw StoreError.failure("insert returned no id") }
            return Int64(id)
        }
        return User(id: id, email: email, createdAt: Date(unixSeconds: now.unixSeconds), passwordChangedAt: Date(unixSeconds: now.unixSeconds))
    }

    public func user(email: EmailAddress) async throws -> User? {
        try read(.user, "SELECT \(UserColumns.list) FROM users u WHERE u.email = ?", [.text(email.value)], UserColumns.user).first
    }

    public func credentials(email: EmailAddress) async throws -> (user: User, passwordHash: String)? {
        try read(.credentials, "SELECT \(UserColumns.list), u.password_hash FROM users u WHERE u.email = ?", [.text(email.value)]) { row in
            (try UserColumns.user(row), row.text(UserColumns.count) ?? "")
        }.first
    }

    public func users() async throws -> [User] {
        try read(.users, "SELECT \(UserColumns.list) FROM users u ORDER BY u.id", [], UserColumns.user)
    }

    public func deleteUser(email: EmailAddress) async throws -> Bool {
        try await write(.deleteUser) {
            !(try await writer.query("DELETE FROM users WHERE email = ? RETURNING id", [.text(email.value)]).isEmpty)
        }
    }

    public func upgradePasswordHash(userID: User.ID, to hash: PasswordHash) async throws {
        try await write(.upgradePasswordHash) {
            _ = try await writer.query("UPDATE users SET password_hash = ? WHERE id = ?", [.text(hash.encoded), .integer(Int(userID))])
        }
    }
}

extension SQLiteStore {
    public func credentials(userID: User.ID) async throws -> (user: User, passwordHash: String)? {
        try read(.credentials, "SELECT \(UserColumns.list), u.password_hash FROM users u WHERE u.id = ?", [.integer(userID)]) { row in
            (try UserColumns.user(row), row.text(UserColumns.count) ?? "")
        }.first
    }

    public func passwordHashSettings() async throws -> [String] {
        // `$scrypt$ln=17,r=8,p=1$salt$key`: the parameters sit between the
        // second and third `$` (other algorithms' hashes yield something the
        // caller doesn't parse, and skips).
        try read(
            .passwordHashSettings,
            "SELECT DISTINCT substr(password_hash, 9, instr(substr(password_hash, 9), '$') - 1) FROM users WHERE password_hash LIKE '$scrypt$%'"
        ) { $0.text(0) ?? "" }
    }

    public func deleteUser(id: User.ID) async throws -> Bool {
        try await write(.deleteUser) {
            !(try await writer.query("DELETE FROM users WHERE id = ? RETURNING id", [.integer(Int(id))]).isEmpty)
        }
    }

    @discardableResult
    public func changePassword(userID: User.ID, to hash: PasswordHash, at now: Date) async throws -> Bool {
        try await write(.changePassword) {
            !(try await writer.query(
                "UPDATE users SET password_hash = ?, password_changed_at = ? WHERE id = ? RETURNING id",
                [.text(hash.encoded), .integer(Int(now.unixSeconds)), .integer(Int(userID))]
            ).isEmpty)
        }
    }

    @discardableResult
    public func markEmailVerified(userID: User.ID, email: EmailAddress, at now: Date) async throws -> Bool {
        try await write(.markEmailVerified) {
            !(try await writer.query(
                "UPDATE users SET email_verified_at = COALESCE(email_verified_at, ?) WHERE id = ? AND email = ? RETURNING id",
                [.integer(Int(now.unixSeconds)), .integer(Int(userID)), .text(email.value)]
            ).isEmpty)
        }
    }

    @discardableResult
    public func changeEmail(userID: User.ID, to email: EmailAddress, at now: Date) async throws -> Bool {
        try await write(.changeEmail) {
            do {
                return
                    !(try await writer.query(
                        "UPDATE users SET email = ?, email_verified_at = ? WHERE id = ? RETURNING id",
                        [.text(email.value), .integer(Int(now.unixSeconds)), .integer(Int(userID))]
                    ).isEmpty)
            } catch let error as SQLiteError where Self.isUniqueViolation(error) {
                throw StoreError.emailTaken
            }
        }
    }
}
