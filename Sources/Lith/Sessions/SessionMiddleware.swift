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
        authentication.finish(&response, auth: context.auth)
        return response
    }
}

extension Authentication {
    /// After the page: a cookie that named no live session is cleared, unless
    /// the handler set a new one (a login).
    func finish(_ response: inout Response, auth: AuthState) {
        let cookieName = cookies.sessionName
        if auth.sessionEnded, !response.setsCookie(named: cookieName) {
            response.addCookie(cookies.expired(cookieName))
        }
    }
}
