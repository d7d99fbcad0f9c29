import Foundation
import Hummingbird
import NIOCore

/// The check every state-changing request passes before its handler runs:
/// the browser must not say it came from another site (``OriginCheck``), and
/// it must carry the CSRF token bound to this browser, in the form's
/// `csrf_token` field or an `X-CSRF-Token` header, compared in constant time.
/// A URL-encoded body is read here, once, whichever way the token came, and
/// handed to the handler as `context.form`.
struct CSRFGate: Sendable {
    let tokens: CSRFTokens
    let originCheck: OriginCheck
    /// The site is served over https (for the origin's scheme).
    let https: Bool

    /// The form of an unsafe request that may proceed (empty for a safe one,
    /// or a body that isn't a form). Throws ``CSRFFailure`` for a refused one.
    func check(_ request: inout Request, auth: AuthState, maxUploadSize: Int) async throws -> FormData {
        guard !request.method.isSafe else { return FormData() }
        guard originCheck.allows(request, https: https) else {
            throw CSRFFailure(reason: "cross-origin request refused")
        }
        let header = request.headers[.csrfToken]
        let form = try await Self.readForm(&request, limit: maxUploadSize, required: header == nil)
        let presented = header ?? form[CSRFTokens.fieldName] ?? ""
        switch auth.record.binding {
        case .session:
            guard tokens.matches(presented, expected: auth.csrfToken) else {
                throw CSRFFailure(reason: "missing or invalid CSRF token")
            }
        case .guest(let nonce?):
            switch tokens.verifyGuest(presented, nonce: nonce) {
            case .valid: break
            case .expired: throw CSRFFailure(reason: "expired guest CSRF token", isExpired: true)
            case .invalid: throw CSRFFailure(reason: "missing or invalid CSRF token")
            }
        case .guest(nil):
            // A guest without a nonce cookie can't have a matching token:
            // there was nothing to bind one to before this request.
            throw CSRFFailure(reason: "no CSRF cookie")
        }
        return form
    }

    /// The URL-encoded form in the body (empty for an empty body). Any other
    /// body is left to the handler when the token came in a header; without
    /// the header it can't carry a token: a 403, like the `text/plain` POST
    /// a forging page would send.
    static func readForm(_ request: inout Request, limit: Int, required: Bool) async throws -> FormData {
        let mediaType = request.headers[.contentType]?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased()
        guard mediaType == "application/x-www-form-urlencoded" else {
            if !required { return FormData() }
            if request.headers[.contentLength] == "0" || (mediaType == nil && request.headers[.transferEncoding] == nil) {
                return FormData()
            }
            throw CSRFFailure(reason: "a \(mediaType?.logSafe ?? "untyped") body without an X-CSRF-Token header")
        }
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
        let form: FormData
        do {
            form = try FormData(urlEncoded: body.readableBytesView)
        } catch {
            throw HTTPError(.badRequest, message: "The form could not be read.")
        }
        // The form is what the handler reads: a request waiting (for a
        // password hash, say) holds the parsed fields, not a body copy.
        request.body = RequestBody(buffer: ByteBuffer())
        return form
    }
}

/// A request refused by the CSRF defences; answered with 403.
public struct CSRFFailure: Error, HTTPResponseError, Sendable {
    /// For the log, not the page.
    public let reason: String
    /// A genuine guest token, issued too long ago: a page left open for
    /// hours. An app shows the form again with a fresh token and says so.
    public let isExpired: Bool

    public init(reason: String, isExpired: Bool = false) {
        self.reason = reason
        self.isExpired = isExpired
    }

    /// What a person who left a form open too long is told.
    public static let expiredMessage = "This page had expired, so nothing was sent. Please try again."

    public var status: HTTPResponse.Status { .forbidden }

    /// What the visitor is told: no detail an attacker could tune against.
    public static let userMessage = "This form has expired or came from another site. Go back, reload the page and try again."

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        try HTTPError(.forbidden, message: isExpired ? Self.expiredMessage : Self.userMessage).response(from: request, context: context)
    }
}

extension HTTPRequest.Method {
    /// RFC 9110 §9.2.1: methods that must not change state.
    var isSafe: Bool { self == .get || self == .head || self == .options || self == .trace }
}
