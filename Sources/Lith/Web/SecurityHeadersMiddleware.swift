import HTTPTypes
import Hummingbird

/// Headers that make the browser refuse what Lith never does: inline and
/// foreign scripts, framing, MIME sniffing, leaking URLs to other sites, and
/// caching pages that hold user data or form tokens.
public struct SecurityHeadersMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Also send HSTS: only meaningful, and only safe, when serving https.
    let secure: Bool

    static var contentSecurityPolicy: String {
        "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    }

    public init(secure: Bool) {
        self.secure = secure
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as any HTTPResponseError {
            // Error pages get the same headers as every other page.
            response = try error.response(from: request, context: context)
        }
        response.headers[.contentSecurityPolicy] = Self.contentSecurityPolicy
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[.referrerPolicy] = "same-origin"
        if response.headers[.cacheControl] == nil {
            // Pages carry form tokens or user data: never from a cache.
            response.headers[.cacheControl] = "no-store"
        }
        if secure {
            response.headers[.strictTransportSecurity] = "max-age=63072000; includeSubDomains"
        }
        return response
    }
}
