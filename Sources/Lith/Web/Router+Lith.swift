import Hummingbird

extension Router where Context: LithRequestContext {
    /// Adds Lith's middleware in the order they depend on each other: security
    /// headers outermost (so error pages get them too), then the session (who
    /// is this?), CSRF (bound to that session) and the flash message. All of
    /// it runs as one ``LithMiddleware``, one frame per request.
    ///
    /// `errorPages`, if given, is used twice: outside the session, for failures
    /// before the user is known (store down, CSRF refused), and inside the
    /// flash, for errors from handlers, which then render with the user's navbar.
    public func addLithMiddleware(
        _ authentication: Authentication, originCheck: OriginCheck = OriginCheck(),
        errorPages: (any MiddlewareProtocol<Request, Response, Context>)? = nil
    ) {
        add(
            middleware: LithMiddleware<Context>(
                authentication, originCheck: originCheck, securityHeaders: SecurityHeaders(secure: authentication.cookies.secure),
                errorPages: errorPages))
    }
}
