import Hummingbird
import Lith
import Logging

/// Turns every error into a readable page with the right status: 4xx for what
/// the visitor can fix, 503 when the database is away or the hashing queue
/// is full, and a 500 that leaks nothing (the details go to the log, with
/// the request id).
struct ErrorPages: Sendable {
    let pages: Pages
    /// Refusals are caused by whoever sends a request: rate-limited.
    let refusals: RateLimitedLog
    /// For the signup form shown again when its token had expired.
    let minimumPasswordLength: Int

    static let failureMessage = "An error on our side stopped this page. It has been logged; please try again."

    /// For ``Hummingbird/Router/addLith(_:originCheck:errorPage:)``.
    func page(for error: any Error, request: Request, context: BasicLithRequestContext) -> Response? {
        switch error {
        case let failure as CSRFFailure where failure.isExpired:
            // A form left open for hours: not a dead end, the form again with
            // a fresh token (made as this page renders) and a sentence.
            return expiredForm(request, context)
        case let failure as CSRFFailure:
            refusals.log(.notice, "refused request", metadata: ["reason": "\(failure.reason.logSafe)", "path": "\(request.uri.path.logSafe)"])
            return page(.forbidden, "Request refused", CSRFFailure.userMessage, context)
        case StoreError.unavailable(let reason):
            context.logger.error("store unavailable", metadata: ["reason": "\(reason.logSafe)"])
            var response = page(
                .serviceUnavailable,
                "Temporarily unavailable",
                "We can't reach our database right now. Please try again in a moment.",
                context
            )
            response.headers[.retryAfter] = "5"
            return response
        case StoreError.failure(let reason):
            context.logger.error("store failure", metadata: ["reason": "\(reason.logSafe)", "path": "\(request.uri.path.logSafe)"])
            return page(.internalServerError, "Something went wrong", Self.failureMessage, context)
        case let overloaded as PasswordHasher.Overloaded:
            var response = page(.serviceUnavailable, "Busy", LoginHandlers.busy, context)
            response.headers[.retryAfter] = String(overloaded.retryAfterSeconds)
            return response
        case let error as any HTTPResponseError:
            var response = page(error.status, Self.heading(for: error.status), Self.message(for: error), context)
            if let allow = (error as? HTTPError)?.headers[.allow] { response.headers[.allow] = allow }
            return response
        default:
            context.logger.error(
                "request failed",
                metadata: ["error": "\(String(reflecting: error).logSafe)", "path": "\(request.uri.path.logSafe)"]
            )
            return page(.internalServerError, "Something went wrong", Self.failureMessage, context)
        }
    }

    private func expiredForm(_ request: Request, _ context: BasicLithRequestContext) -> Response {
        var fields = FormFields()
        fields.formError = CSRFFailure.expiredMessage
        switch request.uri.path {
        case "/login":
            return pages.render(LoginPage(fields: fields), status: .forbidden, auth: context.auth)
        case "/signup":
            return pages.render(SignupPage(minimumPasswordLength: minimumPasswordLength, fields: fields), status: .forbidden, auth: context.auth)
        default:
            return page(.forbidden, "Page expired", CSRFFailure.expiredMessage, context)
        }
    }

    private func page(_ status: HTTPResponse.Status, _ heading: String, _ message: String, _ context: BasicLithRequestContext) -> Response {
        pages.render(ErrorPage(heading: heading, message: message), status: status, auth: context.auth)
    }

    static func heading(for status: HTTPResponse.Status) -> String {
        switch status.code {
        case 400: "Bad request"
        case 401: "Please log in"
        case 403: "Request refused"
        case 404: "Page not found"
        case 405: "Method not allowed"
        case 413: "Too large"
        case 415: "Unsupported form"
        default: status.reasonPhrase
        }
    }

    static func message(for error: any HTTPResponseError) -> String {
        if let message = (error as? HTTPError)?.body, !message.isEmpty { return message }
        switch error.status.code {
        case 404: return "There is no page at this address."
        case 413: return "What you sent is larger than this site accepts."
        default: return "This request could not be handled."
        }
    }
}
