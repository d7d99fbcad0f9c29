import Foundation
import Hummingbird
import NIOCore

/// Puts the CSRF token for this browser in `context.auth.csrfToken`, and
/// refuses (403) any state-changing request that doesn't carry it or that the
/// browser says came from another site. It also reads the form body, once, for
/// the handler (`context.auth.form`).
public struct CSRFMiddleware<Context: LithRequestContext>: RouterMiddleware {
    let authentication: Authentication
    let originCheck: OriginCheck

    /// The form field every Lith form carries.
    public static var fieldName: String { "csrf_token" }

    public init(_ authentication: Authentication, originCheck: OriginCheck = OriginCheck()) {
        self.authentication = authentication
        self.originCheck = originCheck
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        var request = request
        let guestNonce = try await Self.check(&request, auth: &context.auth, maxUploadSize: context.maxUploadSize, authentication, originCheck)
        var response = try await next(request, context)
        Self.finish(&response, guestNonce: guestNonce, auth: context.auth, cookies: authentication.cookies)
        return response
    }

    /// Before the page: issues this browser's token into `auth`, and refuses
    /// a state-changing request that doesn't carry it or that the browser
    /// says came from another site. Returns the guest nonce minted for this
    /// request, if one was.
    static func check(
        _ request: inout Request, auth: inout AuthState, maxUploadSize: Int, _ authentication: Authentication, _ originCheck: OriginCheck
    ) async throws -> String? {
        let csrf = authentication.csrf
        var newGuestNonce: String?
        if auth.session != nil, let token = auth.presentedToken {
            auth.issuedCSRFToken = csrf.token(forSession: token)
        } else {
            let cookie = request.cookieValue(authentication.cookies.csrfName).map(String.init)
            let nonce = cookie.flatMap { CSRFTokens.isWellFormedNonce($0) ? $0 : nil } ?? {
                let fresh = CSRFTokens.newGuestNonce()
                newGuestNonce = fresh
                return fresh
            }()
            auth.issuedCSRFToken = csrf.token(forGuestNonce: nonce)
            if newGuestNonce != nil { auth.csrfRead = ReadMark() }
        }

        if !request.method.isSafe {
            guard originCheck.allows(request, https: authentication.cookies.secure) else {
                throw CSRFFailure(reason: "cross-origin request refused")
            }
            // Scripts send the token in a header and their body is theirs to
            // read; forms carry it as a field, so the form is read here, once.
            let presented: String
            if let header = request.headers[.csrfToken] {
                presented = header
            } else {
                let form = try await readForm(&request, limit: maxUploadSize)
                auth.form = form
                presented = form?[fieldName] ?? ""
            }
            // A guest without a nonce cookie can't have a matching token: the
            // nonce was minted just now.
            guard newGuestNonce == nil, csrf.matches(presented, expected: auth.issuedCSRFToken) else {
                throw CSRFFailure(reason: "missing or invalid CSRF token")
            }
        }
        return newGuestNonce
    }

    /// After the page: a nonce minted for this request is kept in a cookie
    /// only if the page used the token (a form), so guests' pages without
    /// forms set no cookie.
    static func finish(_ response: inout Response, guestNonce: String?, auth: AuthState, cookies: CookieSettings) {
        if let guestNonce, auth.csrfRead?.wasRead == true, !response.setsCookie(named: cookies.csrfName) {
            response.addCookie(cookies.cookie(cookies.csrfName, value: guestNonce))
        }
    }

    /// The urlencoded form in the body, or `nil` for an empty body. Any other
    /// body without the token header can't carry a token: that's a 403, like
    /// the `text/plain` POST a forging page would send.
    static func readForm(_ request: inout Request, limit: Int) async throws -> FormData? {
        if let declared = request.headers[.contentLength].flatMap(Int.init), declared > limit {
            throw HTTPError(.contentTooLarge, message: "The form is too large.")
        }
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: limit)
        } catch let error as any HTTPResponseError {
            throw error  // 413
        } catch {
            // The client stopped sending before Content-Length was reached.
            throw HTTPError(.badRequest, message: "The form arrived incomplete.")
        }
        guard body.readableBytes > 0 else { return nil }
        let mediaType = request.headers[.contentType]?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased()
        guard mediaType == "application/x-www-form-urlencoded" else {
            throw CSRFFailure(reason: "a \(mediaType ?? "untyped") body without an X-CSRF-Token header")
        }
        do {
            return try FormData(urlEncoded: body.readableBytesView)
        } catch {
            throw HTTPError(.badRequest, message: "The form could not be read.")
        }
    }
}

/// A request refused by the CSRF defences; answered with 403.
public struct CSRFFailure: Error, HTTPResponseError, Sendable {
    /// For the log, not the page.
    public let reason: String

    public var status: HTTPResponse.Status { .forbidden }

    /// What the visitor is told: no detail an attacker could tune against.
    public static let userMessage = "This form has expired or came from another site. Go back, reload the page and try again."

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        try HTTPError(.forbidden, message: Self.userMessage)
            .response(from: request, context: context)
    }
}

extension HTTPRequest.Method {
    /// RFC 9110 §9.2.1: methods that must not change state.
    var isSafe: Bool { self == .get || self == .head || self == .options || self == .trace }
}
