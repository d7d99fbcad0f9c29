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
                "email": user.email.value,
                "signed_in_at": session.createdAt.formatted(.iso8601),
                "session_kind": session.rememberMe
                    ? "after 30 days, or a week without a visit (remembered on this device)"
                    : "when you log out, close the browser, or after a while without a visit",
            ])
    }
}
