import Hummingbird
import Lith

/// `GET /dashboard`: the page only a signed-in user sees.
struct DashboardHandler: Sendable {
    let pages: Pages
    let verification: EmailVerificationMode

    func show(_ request: Request, context: BasicLithRequestContext) throws -> Response {
        let (user, session) = try context.auth.requireSession()
        // Read from the user the session lookup brought: no query of its own.
        let asks = verification != .off && !user.isEmailVerified && !EmailHandlers.putAway(request)
        return pages.render(DashboardPage(user: user, session: session, asksToVerify: asks), auth: context.auth)
    }
}
