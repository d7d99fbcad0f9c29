import Hummingbird

/// Keeps signed-in users away from guest-only pages (login, signup) by sending
/// them home instead (Phoenix's `redirect_if_user_is_authenticated`).
public struct RedirectIfSignedIn<Context: LithRequestContext>: RouterMiddleware {
    let authentication: Authentication

    public init(_ authentication: Authentication) {
        self.authentication = authentication
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard context.auth.isSignedIn else { return try await next(request, context) }
        return Response.redirect(to: authentication.homePath, type: request.method.isSafe ? .found : .normal)
    }
}
