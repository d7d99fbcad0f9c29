import NIOConcurrencyHelpers

/// Each store operation by name, for fault injection.
@_spi(Testing) public enum StoreOperation: String, Sendable, CaseIterable {
    case migrate
    case insertUser, user, credentials, users, deleteUser, upgradePasswordHash, changePassword, passwordHashSettings
    case markEmailVerified, changeEmail
    case insertSession, session, sessions, touchSession, deleteSession, deleteSessions, deleteExpiredSessions
    case sharedSecret
    case counters, addFailure, recordSuccess, deleteCounters, deleteExpiredCounters
    case insertEvent, events, deleteEvents
    case issueLink, link, useLink, deleteLinks
    case enqueueMail, claimMail, finishMail, outbox
}

/// Makes chosen operations of a store fail, as a database does when it goes
/// away or a lock is held: one operation (`touchSession`) while the others
/// work, or all of them. Stores check it only when opened with one (tests);
/// in production it is `nil` and costs a branch.
@_spi(Testing) public final class StoreFaults: Sendable {
    private let failures = NIOLockedValueBox<[StoreOperation: StoreError]>([:])

    public init() {}

    /// Makes `operations` (every one, if none are named) throw `error` until healed.
    public func fail(_ operations: StoreOperation..., with error: StoreError) {
        let chosen = operations.isEmpty ? StoreOperation.allCases : operations
        failures.withLockedValue { failures in for operation in chosen { failures[operation] = error } }
    }

    public func heal() { failures.withLockedValue { $0 = [:] } }

    func check(_ operation: StoreOperation) throws {
        if let error = failures.withLockedValue({ $0[operation] }) { throw error }
    }
}
