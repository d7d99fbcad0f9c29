import Hummingbird

/// Reads the flash cookie into the context and clears it once a page has
/// shown it, so the message appears exactly once, even across redirects.
public struct FlashMiddleware<Context: LithRequestContext>: RouterMiddleware {
    let cookies: CookieSettings

    public init(cookies: CookieSettings) {
        self.cookies = cookies
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let carried = Self.read(request, into: &context.auth, cookies: cookies)
        var response = try await next(request, context)
        Self.finish(&response, carried: carried, cookies: cookies)
        return response
    }

    /// What the flash cookie carried in, if there was one.
    struct Carried {
        let flash: Flash?
        let read: ReadMark
    }

    /// Before the page: the flash cookie's message, for the page to show.
    static func read(_ request: Request, into auth: inout AuthState, cookies: CookieSettings) -> Carried? {
        guard let value = request.cookieValue(cookies.flashName) else { return nil }
        let carried = Carried(flash: Flash(rawValue: String(value)), read: ReadMark())
        auth.pendingFlash = carried.flash
        auth.flashRead = carried.read
        return carried
    }

    /// After the page: shown, or not one of ours, the cookie goes.
    static func finish(_ response: inout Response, carried: Carried?, cookies: CookieSettings) {
        guard let carried else { return }
        if carried.read.wasRead || carried.flash == nil, !response.setsCookie(named: cookies.flashName) {
            response.addCookie(cookies.expired(cookies.flashName))
        }
    }
}
