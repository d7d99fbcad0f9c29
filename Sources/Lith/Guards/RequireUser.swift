import Hummingbird

/// Lets signed-in users through; sends guests to the login page with `next`
/// set to the page they asked for (Django's `login_required`, Rails'
/// `require_authentication`).
public struct RequireUser<Context: LithRequestContext>: RouterMiddleware {
    let authentication: Authentication

    public init(_ authentication: Authentication) {
        self.authentication = authentication
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if context.auth.isSignedIn {
            return try await next(request, context)
        }
        var response = authentication.loginRedirect(returningTo: request)
        if context.auth.sessionExpired {
            response.addCookie(authentication.cookies.flash(.sessionExpired))
        }
        return response
    }
}
