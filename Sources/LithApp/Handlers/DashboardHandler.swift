import Hummingbird
import Lith

/// `GET /dashboard`: the page only a signed-in user sees.
struct DashboardHandler: Sendable {
    let pages: Pages

    func show(_ request: Request, context: BasicLithRequestContext) throws -> Response {
        let (user, session) = try context.auth.requireSession()
        return pages.render(DashboardPage(user: user, session: session), auth: context.auth)
    }
}
