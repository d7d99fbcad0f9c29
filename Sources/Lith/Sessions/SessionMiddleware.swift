import Hummingbird

/// Resumes the browser's session, if any, into `context.auth`, and drops a
/// session cookie that no longer names a live session.
public struct SessionMiddleware<Context: LithRequestContext>: RouterMiddleware {
    let authentication: Authentication

    public init(_ authentication: Authentication) {
        self.authentication = authentication
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.auth = try await authentication.resume(request)
        var response = try await next(request, context)
        let cookieName = authentication.cookies.sessionName
        if context.auth.sessionEnded, !response.setsCookie(named: cookieName) {
            response.addCookie(authentication.cookies.expired(cookieName))
        }
        return response
    }
}
