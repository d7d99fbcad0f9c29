/// One schema change, written once per dialect. Migrations are numbered, run in
/// order, each exactly once, recorded in `lith_migrations`.
struct Migration: Sendable {
    let version: Int
    let name: String
    let sqlite: [String]
    let postgres: [String]
}

/// The schema's history. Append only: a released migration is never edited.
enum Migrations {
    static let all: [Migration] = [
        Migration(
            version: 1,
            name: "users, sessions and shared secrets",
            sqlite: [
                """
                CREATE TABLE users (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    email TEXT NOT NULL UNIQUE,
                    password_hash TEXT NOT NULL,
                    created_at INTEGER NOT NULL,
                    password_changed_at INTEGER NOT NULL
                )
                """,
                // WITHOUT ROWID: the token digest is the key, so a lookup is one
                // B-tree descent instead of index-then-table.
                """
                CREATE TABLE sessions (
                    token_hash TEXT PRIMARY KEY,
                    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                    created_at INTEGER NOT NULL,
                    last_seen_at INTEGER NOT NULL,
                    expires_at INTEGER NOT NULL,
                    idle_timeout INTEGER NOT NULL,
                    remember_me INTEGER NOT NULL DEFAULT 0,
                    user_agent TEXT,
                    ip TEXT
                ) WITHOUT ROWID
                """,
                "CREATE INDEX sessions_user_id ON sessions(user_id)",
                "CREATE INDEX sessions_expires_at ON sessions(expires_at)",
                "CREATE TABLE lith_secrets (name TEXT PRIMARY KEY, value BLOB NOT NULL)",
            ],
            postgres: [
                """
                CREATE TABLE users (
                    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    email TEXT NOT NULL UNIQUE,
                    password_hash TEXT NOT NULL,
                    created_at BIGINT NOT NULL,
                    password_changed_at BIGINT NOT NULL
                )
                """,
                """
                CREATE TABLE sessions (
                    token_hash TEXT PRIMARY KEY,
                    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                    created_at BIGINT NOT NULL,
                    last_seen_at BIGINT NOT NULL,
                    expires_at BIGINT NOT NULL,
                    idle_timeout BIGINT NOT NULL,
                    remember_me BOOLEAN NOT NULL DEFAULT FALSE,
                    user_agent TEXT,
                    ip TEXT
                )
                """,
                "CREATE INDEX sessions_user_id ON sessions(user_id)",
                "CREATE INDEX sessions_expires_at ON sessions(expires_at)",
                "CREATE TABLE lith_secrets (name TEXT PRIMARY KEY, value BYTEA NOT NULL)",
            ]
        )
    ]
}
