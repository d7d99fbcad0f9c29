import Foundation
import Logging

/// Where Lith's verbs report what happened to accounts: the one seam for
/// the security log. ``StoredSecurityLog`` keeps it in the store for the
/// account page and `lith audit`; an app may send it elsewhere too.
///
/// Recording never throws: a log that can't be written must not fail the
/// login it describes.
public protocol SecurityLog: Sendable {
    func record(_ event: SecurityEvent) async

    /// Records `event` unless one like it (same kind, email and address)
    /// was recorded in the last `window` — by any instance of a fleet.
    func record(_ event: SecurityEvent, unlessRepeatedWithin window: TimeInterval) async
}

extension SecurityLog {
    public func record(_ event: SecurityEvent, unlessRepeatedWithin window: TimeInterval) async {
        await record(event)
    }
}

/// The security log in the store (``SecurityEventStore``). A write that fails
/// is reported to the process log instead, and the action goes on.
public struct StoredSecurityLog: SecurityLog {
    let store: any SecurityEventStore
    let logger: Logger

    public init(store: any SecurityEventStore, logger: Logger) {
        self.store = store
        self.logger = logger
    }

    public func record(_ event: SecurityEvent) async {
        do {
            try await store.insertEvent(event)
        } catch {
            report(error, writing: event)
        }
    }

    public func record(_ event: SecurityEvent, unlessRepeatedWithin window: TimeInterval) async {
        do {
            try await store.insertEvent(event, unlessRecordedSince: event.at.addingTimeInterval(-window))
        } catch {
            report(error, writing: event)
        }
    }

    private func report(_ error: any Error, writing event: SecurityEvent) {
        logger.error(
            "could not write to the security log",
            metadata: ["event": "\(event.kind.rawValue)", "user_id": "\(event.userID.map(String.init) ?? "-")", "error": "\(error)"]
        )
    }
}

/// No security log (a library user who doesn't want one).
public struct NoSecurityLog: SecurityLog {
    public init() {}
    public func record(_ event: SecurityEvent) async {}
}
