import Hummingbird

/// The session, CSRF and flash middleware in one: the same three steps in the
/// same order (who is this; is this request theirs; what message is waiting),
/// and their clean-up on the way out, in one async frame instead of three.
/// Every request passes through it, and each middleware level costs a frame
/// and a copy of the request context.
///
/// Installed by `addLithMiddleware`, it also takes the place of
/// ``SecurityHeadersMiddleware`` outside it and of the error-page middleware
/// on both sides of it, with the same effect: the success path runs in this
/// one frame, and the error pages are called only when something was thrown.
public struct LithMiddleware<Context: LithRequestContext>: RouterMiddleware {
    let authentication: Authentication
    let originCheck: OriginCheck
    let securityHeaders: SecurityHeaders?
    let errorPages: (any MiddlewareProtocol<Request, Response, Context>)?

    public init(_ authentication: Authentication, originCheck: OriginCheck = OriginCheck()) {
        self.init(authentication, originCheck: originCheck, securityHeaders: nil, errorPages: nil)
    }

    init(
        _ authentication: Authentication, originCheck: OriginCheck, securityHeaders: SecurityHeaders?,
        errorPages: (any MiddlewareProtocol<Request, Response, Context>)?
    ) {
        self.authentication = authentication
        self.originCheck = originCheck
        self.securityHeaders = securityHeaders
        self.errorPages = errorPages
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        do {
            var inner = context
            var request = request
            let cookies = authentication.cookies
            inner.auth = try await authentication.resume(request)
            let guestNonce = try await CSRFMiddleware<Context>.check(
                &request, auth: &inner.auth, maxUploadSize: inner.maxUploadSize, authentication, originCheck)
            let flash = FlashMiddleware<Context>.read(request, into: &inner.auth, cookies: cookies)
            do {
                response = try await next(request, inner)
            } catch let error where errorPages != nil {
                // A handler's error: its page shows the user's navbar, and the
                // clean-up below applies to it as to any page.
                response = try await page(for: error, request, inner)
            }
            FlashMiddleware<Context>.finish(&response, carried: flash, cookies: cookies)
            CSRFMiddleware<Context>.finish(&response, guestNonce: guestNonce, auth: inner.auth, cookies: cookies)
            authentication.finish(&response, auth: inner.auth)
        } catch {
            // Before the user is known (store down, CSRF refused), or with no
            // error pages: the page a guest would get.
            response = try await page(for: error, request, context)
        }
        securityHeaders?.add(to: &response)
        return response
    }

    /// The error page for `error`, from the error pages if there are any; else
    /// what ``SecurityHeadersMiddleware`` would make of it, if it is one of
    /// Lith's; else the error goes on up.
    private func page(for error: any Error, _ request: Request, _ context: Context) async throws -> Response {
        if let errorPages {
            return try await errorPages.handle(request, context: context) { _, _ in throw error }
        }
        if securityHeaders != nil, let error = error as? any HTTPResponseError {
            return try error.response(from: request, context: context)
        }
        throw error
    }
}
