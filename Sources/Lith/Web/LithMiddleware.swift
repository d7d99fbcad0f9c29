import Hummingbird

/// An app's error pages: the response for an error from Lith or a handler,
/// rendered with the request's context (so a signed-in user keeps their
/// navbar), or `nil` for Lith's plain default.
public typealias ErrorPage<Context: LithRequestContext> = @Sendable (any Error, Request, Context) -> Response?

/// Runs the steps of ``Authentication``'s per-request order around each
/// handler — resume, CSRF, the handler, finish — then adds the security
/// headers, to every response, error pages included. One frame per request.
struct LithMiddleware<Context: LithRequestContext>: RouterMiddleware {
    let authentication: Authentication
    let csrf: CSRFGate
    let securityHeaders: SecurityHeaders
    let errorPage: ErrorPage<Context>?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        do {
            var request = request
            var context = context
            context.auth = try await authentication.resume(request)
            do {
                do {
                    context.form = try await csrf.check(&request, auth: context.auth, maxUploadSize: context.maxUploadSize)
                } catch let failure as CSRFFailure {
                    guard let redirect = authentication.harmlessRedirect(for: request, context.auth) else { throw failure }
                    response = redirect
                    authentication.finish(&response, context.auth)
                    securityHeaders.add(to: &response)
                    return response
                }
                response = try await next(request, context)
            } catch {
                // The user is known by now: their page, navbar and all.
                response = try page(for: error, request, context)
            }
            authentication.finish(&response, context.auth)
        } catch {
            // Before the user is known (the store is away): a guest's page.
            response = try page(for: error, request, context)
        }
        securityHeaders.add(to: &response)
        return response
    }

    /// The app's page for `error`, else Lith's plain one for its own errors;
    /// anything else goes on up.
    private func page(for error: any Error, _ request: Request, _ context: Context) throws -> Response {
        if let errorPage, let response = errorPage(error, request, context) { return response }
        if let error = error as? any HTTPResponseError { return try error.response(from: request, context: context) }
        throw error
    }
}

extension Router where Context: LithRequestContext {
    /// Installs Lith — session, CSRF, flash, security headers, error pages —
    /// for every route declared after it, and returns where those routes are
    /// declared (``Routes``): login required unless a route opts out. The one
    /// way to install Lith; declare every route through what it returns.
    ///
    /// - Parameters:
    ///   - originCheck: the site's own origin (``PublicURL``) and any others
    ///     a form may be posted from.
    ///   - errorPage: the app's pages for errors; without it, errors get
    ///     Hummingbird's plain responses (with Lith's headers).
    public func addLith(
        _ authentication: Authentication,
        originCheck: OriginCheck = OriginCheck(),
        errorPage: ErrorPage<Context>? = nil
    ) -> Routes<Context> {
        add(
            middleware: LithMiddleware(
                authentication: authentication,
                csrf: CSRFGate(tokens: authentication.csrf, originCheck: originCheck, https: authentication.cookies.secure),
                securityHeaders: SecurityHeaders(secure: authentication.cookies.secure),
                errorPage: errorPage
            )
        )
        return Routes(self, authentication: authentication)
    }
}
