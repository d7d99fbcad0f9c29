import Hummingbird

/// The session, CSRF and flash middleware in one: the same three steps in the
/// same order (who is this; is this request theirs; what message is waiting),
/// and their clean-up on the way out, in one async frame instead of three.
/// Every request passes through it, and each middleware level costs a frame
/// and a copy of the request context.
public struct LithMiddleware<Context: LithRequestContext>: RouterMiddleware {
    let authentication: Authentication
    let originCheck: OriginCheck

    public init(_ authentication: Authentication, originCheck: OriginCheck = OriginCheck()) {
        self.authentication = authentication
        self.originCheck = originCheck
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        var request = request
        let cookies = authentication.cookies
        context.auth = try await authentication.resume(request)
        let guestNonce = try await CSRFMiddleware<Context>.check(
            &request, auth: &context.auth, maxUploadSize: context.maxUploadSize, authentication, originCheck)
        let flash = FlashMiddleware<Context>.read(request, into: &context.auth, cookies: cookies)
        var response = try await next(request, context)
        FlashMiddleware<Context>.finish(&response, carried: flash, cookies: cookies)
        CSRFMiddleware<Context>.finish(&response, guestNonce: guestNonce, auth: context.auth, cookies: cookies)
        authentication.finish(&response, auth: context.auth)
        return response
    }
}
