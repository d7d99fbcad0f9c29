import Hummingbird

/// Reads the flash cookie into the context and clears it once a page has been
/// rendered with it, so the message shows exactly once, even across redirects.
public struct FlashMiddleware<Context: LithRequestContext>: RouterMiddleware {
    let cookies: CookieSettings

    public init(cookies: CookieSettings) {
        self.cookies = cookies
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let value = request.cookies[cookies.flashName]?.value else {
            return try await next(request, context)
        }
        var context = context
        context.auth.flash = Flash(rawValue: value)
        var response = try await next(request, context)
        let rendered = response.status == .ok || context.auth.flash == nil
        if rendered, !response.setsCookie(named: cookies.flashName) {
            response.setCookie(cookies.expired(cookies.flashName))
        }
        return response
    }
}

extension Response {
    /// Whether a handler already wrote `name`, so middleware doesn't overwrite its decision.
    func setsCookie(named name: String) -> Bool {
        let prefix = name + "="
        return headers[values: .setCookie].contains { $0.hasPrefix(prefix) }
    }
}
