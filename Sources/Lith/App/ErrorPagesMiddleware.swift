import Hummingbird
import Logging

/// Turns every error into a readable page with the right status: 4xx for what
/// the visitor can fix, 503 when the database is away, and a 500 that leaks
/// nothing (the details go to the log, with the request id).
struct ErrorPagesMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let pages: Pages
    /// Refusals are caused by whoever sends a request: rate-limited.
    let refusals: RateLimitedLog

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let failure as CSRFFailure {
            refusals.log(.notice, "refused request", metadata: ["reason": "\(failure.reason.logSafe)", "path": "\(request.uri.path.logSafe)"])
            return page(.forbidden, "Request refused", CSRFFailure.userMessage, context: context)
        } catch StoreError.unavailable(let reason) {
            context.logger.error("store unavailable", metadata: ["reason": "\(reason)"])
            var response = page(
                .serviceUnavailable, "Temporarily unavailable", "We can't reach our database right now. Please try again in a moment.",
                context: context)
            response.headers[.retryAfter] = "5"
            return response
        } catch StoreError.failure(let reason) {
            context.logger.error("store failure", metadata: ["reason": "\(reason.logSafe)", "path": "\(request.uri.path.logSafe)"])
            return failurePage(context: context)
        } catch let overloaded as PasswordHasher.Overloaded {
            var response = page(.serviceUnavailable, "Busy", LoginHandlers.busy, context: context)
            response.headers[.retryAfter] = String(overloaded.retryAfterSeconds)
            return response
        } catch let error as any HTTPResponseError {
            var response = page(error.status, Self.heading(for: error.status), Self.message(for: error), context: context)
            if let allow = (error as? HTTPError)?.headers[.allow] { response.headers[.allow] = allow }
            return response
        } catch {
            context.logger.error("request failed", metadata: ["error": "\(String(reflecting: error).logSafe)", "path": "\(request.uri.path.logSafe)"])
            return failurePage(context: context)
        }
    }

    private func failurePage(context: Context) -> Response {
        page(.internalServerError, "Something went wrong", "An error on our side stopped this page. It has been logged; please try again.", context: context)
    }

    private func page(_ status: HTTPResponse.Status, _ heading: String, _ message: String, context: Context) -> Response {
        pages.render("error", title: heading, status: status, auth: context.auth, .page(["heading": .text(heading), "message": .text(message)]))
    }

    static func heading(for status: HTTPResponse.Status) -> String {
        switch status.code {
        case 400: "Bad request"
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
