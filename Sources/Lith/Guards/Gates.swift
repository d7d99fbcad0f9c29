import Hummingbird

/// ``Authentication/requireUser(_:_:)`` as the middleware of signed-in routes.
struct SignedInGate<Context: LithRequestContext>: RouterMiddleware {
    let authentication: Authentication

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let redirect = authentication.requireUser(request, context.auth) { return redirect }
        return try await next(request, context)
    }
}

/// ``Authentication/redirectIfSignedIn(_:_:)`` as the middleware of guest-only routes.
struct GuestOnlyGate<Context: LithRequestContext>: RouterMiddleware {
    let authentication: Authentication

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let redirect = authentication.redirectIfSignedIn(request, context.auth) { return redirect }
        return try await next(request, context)
    }
}
