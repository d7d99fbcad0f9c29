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
        ),
        Migration(
            version: 2,
            name: "session ids, throttle counters and the security log",
            sqlite: [
                // Existing sessions get an id too: the account page lists them.
                "ALTER TABLE sessions ADD COLUMN id TEXT",
                "UPDATE sessions SET id = lower(hex(randomblob(16))) WHERE id IS NULL",
                "CREATE UNIQUE INDEX sessions_id ON sessions(id)",
                ThrottleCountersTable.sqlite,
                "CREATE INDEX throttle_counters_email ON throttle_counters(email)",
                // No foreign key to users: a deleted account's history stays
                // (until retention) for the operator to read.
                """
                CREATE TABLE security_events (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    at INTEGER NOT NULL,
                    event TEXT NOT NULL,
                    user_id INTEGER,
                    email TEXT,
                    ip TEXT,
                    browser TEXT,
                    session_id TEXT
                )
                """,
                "CREATE INDEX security_events_user ON security_events(user_id, id)",
                "CREATE INDEX security_events_email ON security_events(email, id)",
                "CREATE INDEX security_events_at ON security_events(at)",
            ],
            postgres: [
                "ALTER TABLE sessions ADD COLUMN id TEXT",
                "UPDATE sessions SET id = replace(gen_random_uuid()::text, '-', '') WHERE id IS NULL",
                "CREATE UNIQUE INDEX sessions_id ON sessions(id)",
                ThrottleCountersTable.postgres,
                "CREATE INDEX throttle_counters_email ON throttle_counters(email)",
                """
                CREATE TABLE security_events (
                    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    at BIGINT NOT NULL,
                    event TEXT NOT NULL,
                    user_id BIGINT,
                    email TEXT,
                    ip TEXT,
                    browser TEXT,
                    session_id TEXT
                )
                """,
                "CREATE INDEX security_events_user ON security_events(user_id, id)",
                "CREATE INDEX security_events_email ON security_events(email, id)",
                "CREATE INDEX security_events_at ON security_events(at)",
            ]
        ),
        Migration(
            version: 3,
            name: "mailed links and the mail outbox",
            sqlite: [
                // One link per user and purpose: a newer one replaces it.
                """
                CREATE TABLE link_tokens (
                    token_hash TEXT PRIMARY KEY,
                    purpose TEXT NOT NULL,
                    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                    created_at INTEGER NOT NULL,
                    expires_at INTEGER NOT NULL,
                    UNIQUE (user_id, purpose)
                ) WITHOUT ROWID
                """,
                "CREATE INDEX link_tokens_expires_at ON link_tokens(expires_at)",
                """
                CREATE TABLE mail_outbox (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    sender TEXT NOT NULL,
                    recipient TEXT NOT NULL,
                    message TEXT,
                    status TEXT NOT NULL DEFAULT 'queued',
                    attempts INTEGER NOT NULL DEFAULT 0,
                    queued_at INTEGER NOT NULL,
                    next_attempt_at INTEGER NOT NULL,
                    claimed_until INTEGER NOT NULL DEFAULT 0,
                    finished_at INTEGER,
                    last_error TEXT
                )
                """,
                "CREATE INDEX mail_outbox_due ON mail_outbox(status, next_attempt_at)",
            ],
            postgres: [
                """
                CREATE TABLE link_tokens (
                    token_hash TEXT PRIMARY KEY,
                    purpose TEXT NOT NULL,
                    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                    created_at BIGINT NOT NULL,
                    expires_at BIGINT NOT NULL,
                    UNIQUE (user_id, purpose)
                )
                """,
                "CREATE INDEX link_tokens_expires_at ON link_tokens(expires_at)",
                """
                CREATE TABLE mail_outbox (
                    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    sender TEXT NOT NULL,
                    recipient TEXT NOT NULL,
                    message TEXT,
                    status TEXT NOT NULL DEFAULT 'queued',
                    attempts INTEGER NOT NULL DEFAULT 0,
                    queued_at BIGINT NOT NULL,
                    next_attempt_at BIGINT NOT NULL,
                    claimed_until BIGINT NOT NULL DEFAULT 0,
                    finished_at BIGINT,
                    last_error TEXT
                )
                """,
                "CREATE INDEX mail_outbox_due ON mail_outbox(status, next_attempt_at)",
            ]
        ),
        Migration(
            version: 4,
            name: "verified addresses, and the address a link is for",
            sqlite: [
                "ALTER TABLE users ADD COLUMN email_verified_at INTEGER",
                // A verification link names the address it verifies (dead once
                // the address changes); an address-change link, the new address.
                "ALTER TABLE link_tokens ADD COLUMN email TEXT",
            ],
            postgres: [
                "ALTER TABLE users ADD COLUMN email_verified_at BIGINT",
                "ALTER TABLE link_tokens ADD COLUMN email TEXT",
            ]
        ),
    ]
}

/// Failure counters for throttling (``CounterStore``): one row per key. A
/// row can be forgotten once its failures have expired and it no longer
/// marks the address as one the account signed in from.
private enum ThrottleCountersTable {
    static let sqlite = """
        CREATE TABLE throttle_counters (
            kind TEXT NOT NULL,
            email TEXT NOT NULL,
            ip TEXT NOT NULL,
            failures INTEGER NOT NULL,
            last_failure_at INTEGER NOT NULL,
            previous_failure_at INTEGER NOT NULL,
            failures_expire_at INTEGER NOT NULL,
            known_until INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (kind, email, ip)
        ) WITHOUT ROWID
        """

    static let postgres = """
        CREATE TABLE throttle_counters (
            kind TEXT NOT NULL,
            email TEXT NOT NULL,
            ip TEXT NOT NULL,
            failures BIGINT NOT NULL,
            last_failure_at BIGINT NOT NULL,
            previous_failure_at BIGINT NOT NULL,
            failures_expire_at BIGINT NOT NULL,
            known_until BIGINT NOT NULL DEFAULT 0,
            PRIMARY KEY (kind, email, ip)
        )
        """
}
