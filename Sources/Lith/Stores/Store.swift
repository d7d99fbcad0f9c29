/// Everything Lith keeps, one narrow protocol per concern, each with its
/// semantics written on it; one store class per database conforms to all of
/// them, and each part of Lith takes only what it needs (``Accounts`` sees
/// users and throttle counters, ``Authentication`` sessions and secrets,
/// both the security log). Anything that must hold across instances lives
/// behind these, never in process memory.
///
/// A new concern is one protocol here, one file per store
/// (`SQLiteStore+Concern.swift`, `PostgresStore+Concern.swift`), one
/// migration, and one conformance suite.
public typealias Store = UserStore & SessionStore & SecretStore & CounterStore & SecurityEventStore & LinkTokenStore & OutboxStore
    & StoreLifecycle

/// Opening and closing a store's schema and connections.
public protocol StoreLifecycle: Sendable {
    /// Applies every migration not yet applied. Safe to call from several
    /// processes at once (the second finds the work done).
    func migrate() async throws

    /// Ends the store's connections; calls after it fail. Calling it again
    /// is harmless.
    func close() async throws
}

/// What a store can tell its callers, apart from driver details, which go to
/// the log. Every requirement of every store protocol throws only these.
public enum StoreError: Error, Sendable, Equatable {
    /// The unique email constraint refused the insert.
    case emailTaken
    /// The database can't be reached or is busy; worth retrying soon (503).
    case unavailable(String)
    /// Anything else went wrong in the database (logged; a 500 for the visitor).
    case failure(String)
}
