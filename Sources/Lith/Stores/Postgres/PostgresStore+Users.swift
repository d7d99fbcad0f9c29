import Foundation
import PostgresNIO

extension PostgresStore: UserStore {
    /// The columns a ``User`` is read from, and how: the one place their
    /// order is written down (every query selecting a user starts with them).
    enum UserColumns {
        static let list = "u.id, u.email, u.created_at, u.password_changed_at, u.email_verified_at"
        typealias Row = (Int64, String, Int64, Int64, Int64?)

        static func user(_ row: Row) -> User {
            User(
                id: row.0,
                email: EmailAddress(stored: row.1),
                createdAt: Date(unixSeconds: row.2),
                passwordChangedAt: Date(unixSeconds: row.3),
                emailVerifiedAt: row.4.map { Date(unixSeconds: $0) }
            )
        }
    }

    public func insertUser(email: EmailAddress, passwordHash: PasswordHash, at now: Date) async throws -> User {
        let seconds = now.unixSeconds
        let id: Int64 = try await run(.insertUser) { connection in
            do {
                let rows = try await connection.query(
                    """
                    INSERT INTO users (email, password_hash, created_at, password_changed_at)
                    VALUES (\(email.value), \(passwordHash.encoded), \(seconds), \(seconds)) RETURNING id
                    """
                )
                for try await id in rows.decode(Int64.self) { return id }
                throw StoreError.failure("insert returned no id")
            } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" {
                throw StoreError.emailTaken
            }
        }
        return User(id: id, email: email, createdAt: Date(unixSeconds: seconds), passwordChangedAt: Date(unixSeconds: seconds))
    }

    public func user(email: EmailAddress) async throws -> User? {
        try await run(.user) { connection in
            let rows = try await connection.query("SELECT \(unescaped: UserColumns.list) FROM users u WHERE u.email = \(email.value)")
            for try await row in rows.decode(UserColumns.Row.self) { return UserColumns.user(row) }
            return nil
        }
    }

    public func credentials(email: EmailAddress) async throws -> (user: User, passwordHash: String)? {
        try await run(.credentials) { connection in
            let rows = try await connection.query(
                "SELECT \(unescaped: UserColumns.list), u.password_hash FROM users u WHERE u.email = \(email.value)"
            )
            for try await row in rows.decode((Int64, String, Int64, Int64, Int64?, String).self) {
                return (UserColumns.user((row.0, row.1, row.2, row.3, row.4)), row.5)
            }
            return nil
        }
    }

    public func users() async throws -> [User] {
        try await run(.users) { connection in
            var users: [User] = []
            let rows = try await connection.query("SELECT \(unescaped: UserColumns.list) FROM users u ORDER BY u.id")
            for try await row in rows.decode(UserColumns.Row.self) { users.append(UserColumns.user(row)) }
            return users
        }
    }

    public func deleteUser(email: EmailAddress) async throws -> Bool {
        try await run(.deleteUser) { connection in
            for try await _ in try await connection.query("DELETE FROM users WHERE email = \(email.value) RETURNING id").decode(Int64.self) {
                return true
            }
            return false
        }
    }

    public func upgradePasswordHash(userID: User.ID, to hash: PasswordHash) async throws {
        _ = try await run(.upgradePasswordHash) { connection in
            try await connection.query("UPDATE users SET password_hash = \(hash.encoded) WHERE id = \(userID)")
        }
    }
}

extension PostgresStore {
    public func credentials(userID: User.ID) async throws -> (user: User, passwordHash: String)? {
        try await run(.credentials) { connection in
            let rows = try await connection.query("SELECT \(unescaped: UserColumns.list), u.password_hash FROM users u WHERE u.id = \(userID)")
            for try await row in rows.decode((Int64, String, Int64, Int64, Int64?, String).self) {
                return (UserColumns.user((row.0, row.1, row.2, row.3, row.4)), row.5)
            }
            return nil
        }
    }

    public func passwordHashSettings() async throws -> [String] {
        // `$scrypt$ln=17,r=8,p=1$salt$key`: the third `$`-separated field.
        try await run(.passwordHashSettings, timeout: 60) { connection in
            var settings: [String] = []
            let rows = try await connection.query("SELECT DISTINCT split_part(password_hash, '$', 3) FROM users WHERE password_hash LIKE '$scrypt$%'")
            for try await setting in rows.decode(String.self) { settings.append(setting) }
            return settings
        }
    }

    public func deleteUser(id: User.ID) async throws -> Bool {
        try await run(.deleteUser) { connection in
            for try await _ in try await connection.query("DELETE FROM users WHERE id = \(id) RETURNING id").decode(Int64.self) { return true }
            return false
        }
    }

    @discardableResult
    public func changePassword(userID: User.ID, to hash: PasswordHash, at now: Date) async throws -> Bool {
        try await run(.changePassword) { connection in
            let rows = try await connection.query(
                "UPDATE users SET password_hash = \(hash.encoded), password_changed_at = \(now.unixSeconds) WHERE id = \(userID) RETURNING id"
            )
            for try await _ in rows.decode(Int64.self) { return true }
            return false
        }
    }

    @discardableResult
    public func markEmailVerified(userID: User.ID, email: EmailAddress, at now: Date) async throws -> Bool {
        try await run(.markEmailVerified) { connection in
            let rows = try await connection.query(
                """
                UPDATE users SET email_verified_at = COALESCE(email_verified_at, \(now.unixSeconds))
                WHERE id = \(userID) AND email = \(email.value) RETURNING id
                """
            )
            for try await _ in rows.decode(Int64.self) { return true }
            return false
        }
    }

    @discardableResult
    public func changeEmail(userID: User.ID, to email: EmailAddress, at now: Date) async throws -> Bool {
        try await run(.changeEmail) { connection in
            do {
                let rows = try await connection.query(
                    "UPDATE users SET email = \(email.value), email_verified_at = \(now.unixSeconds) WHERE id = \(userID) RETURNING id"
                )
                for try await _ in rows.decode(Int64.self) { return true }
                return false
            } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" {
                throw StoreError.emailTaken
            }
        }
    }
}
