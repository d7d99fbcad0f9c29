import Hummingbird

/// Reads the flash cookie into the context and clears it once a page has
/// shown it, so the message appears exactly once, even across redirects.
public struct FlashMiddleware<Context: LithRequestContext>: RouterMiddleware {
    let cookies: CookieSettings

    public init(cookies: CookieSettings) {
        self.cookies = cookies
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let value = request.cookieValue(cookies.flashName).map(String.init) else {
            return try await next(request, context)
        }
        var context = context
        let flash = Flash(rawValue: value)
        let read = ReadMark()
        context.auth.pendingFlash = flash
        context.auth.flashRead = read
        var response = try await next(request, context)
        // Shown, or not one of ours: either way it goes.
        if read.wasRead || flash == nil, !response.setsCookie(named: cookies.flashName) {
            response.addCookie(cookies.expired(cookies.flashName))
        }
        return response
    }
}
