import Foundation
import Hummingbird

/// `GET /dashboard`: the page only a signed-in user sees.
struct DashboardHandler: Sendable {
    let pages: Pages

    func show(_ request: Request, context: AppRequestContext) throws -> Response {
        guard let user = context.auth.user, let session = context.auth.session else {
            throw HTTPError(.unauthorized)  // unreachable behind RequireUser
        }
        return pages.render(
            "dashboard", title: "Dashboard", auth: context.auth,
            [
                "email": .text(user.email.value),
                "signed_in_at": .text(Self.utc(session.createdAt)),
                "signed_in_at_iso": .text(session.createdAt.formatted(.iso8601)),
                "session_end": .text(
                    "after \(Self.span(session.idleTimeout)) without activity, and at the latest at \(Self.utc(session.expiresAt))"
                        + (session.rememberMe ? " (remembered on this device)" : "")),
            ])
    }

    private static let calendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()

    /// `2026-11-21 20:36 UTC`: unambiguous, whatever the reader's locale.
    static func utc(_ date: Date) -> String {
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        func two(_ value: Int?) -> String { (value ?? 0) < 10 ? "0\(value ?? 0)" : "\(value ?? 0)" }
        return "\(parts.year ?? 0)-\(two(parts.month))-\(two(parts.day)) \(two(parts.hour)):\(two(parts.minute)) UTC"
    }

    /// `30 minutes`, `12 hours`, `7 days`.
    static func span(_ interval: TimeInterval) -> String {
        let minutes = Int(interval / 60)
        func plural(_ count: Int, _ unit: String) -> String { "\(count) \(unit)\(count == 1 ? "" : "s")" }
        if minutes < 120 { return plural(max(1, minutes), "minute") }
        if minutes < 48 * 60 { return plural(minutes / 60, "hour") }
        return plural(minutes / (24 * 60), "day")
    }
}
