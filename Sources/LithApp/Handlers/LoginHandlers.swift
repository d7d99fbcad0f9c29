import Hummingbird
import Lith

/// `GET /login`, `POST /login` and `POST /logout`.
struct LoginHandlers: Sendable {
    let accounts: Accounts
    let authentication: Authentication
    let pages: Pages
    let verifications: EmailVerifications

    /// Said only after the right password, so it tells nothing to a guesser.
    static let unverified = "Please confirm your email address first: open the link we mailed to you, or ask for a new one below."

    /// One message for an unknown email and a wrong password, so the page
    /// doesn't tell an attacker which accounts exist.
    static let invalidCredentials = "Invalid email or password."

    /// The hashing queue is full (``PasswordHasher/Overloaded``): nothing was checked.
    static let busy = "Too many people are signing in right now. Please try again in a few seconds."

    func show(_ request: Request, context: BasicLithRequestContext) -> Response {
        let next = (try? FormData(urlEncoded: Array((request.uri.query ?? "").utf8)))?["next"]
        return pages.render(LoginPage(next: SafeRedirect.path(next) ?? ""), auth: context.auth)
    }

    func submit(_ request: Request, context: BasicLithRequestContext) async throws -> Response {
        let form = context.form
        var page = LoginPage(
            email: form.text("email"),
            next: SafeRedirect.path(form["next"]) ?? "",
            rememberMe: form["remember_me"].map { !$0.isEmpty && $0 != "0" } ?? false
        )
        do {
            let client = authentication.client(of: request, context: context)
            guard let user = try await accounts.authenticate(email: page.email, password: form.text("password"), from: client) else {
                page.fields.formError = Self.invalidCredentials
                return pages.render(page, status: .unprocessableContent, auth: context.auth)
            }
            guard verifications.maySignIn(user) else {
                page.fields.formError = Self.unverified
                page.offerResend = true
                return pages.render(page, status: .forbidden, auth: context.auth)
            }
            return try await authentication.logIn(
                user,
                rememberMe: page.rememberMe,
                redirectTo: page.next.isEmpty ? nil : page.next,
                request: request,
                context: context
            )
        } catch let errors as FieldErrors {
            page.fields.errors = errors
            return pages.render(page, status: .unprocessableContent, auth: context.auth)
        } catch let throttled as Throttled {
            // 429 and the form again, the email kept; no hash was computed.
            page.fields.formError = throttled.message
            return Self.retryLater(pages.render(page, status: .tooManyRequests, auth: context.auth), after: throttled.retryAfterSeconds)
        } catch let overloaded as PasswordHasher.Overloaded {
            page.fields.formError = Self.busy
            return Self.retryLater(pages.render(page, status: .serviceUnavailable, auth: context.auth), after: overloaded.retryAfterSeconds)
        }
    }

    static func retryLater(_ response: Response, after seconds: Int) -> Response {
        var response = response
        response.headers[.retryAfter] = String(seconds)
        return response
    }

    func logOut(_ request: Request, context: BasicLithRequestContext) async throws -> Response {
        try await authentication.logOut(request: request, context: context)
    }

    /// A link or a prefetch must not end a session: logout is POST only.
    func refuseGetLogout(_ request: Request, context: BasicLithRequestContext) throws -> Response {
        throw HTTPError(.methodNotAllowed, headers: [.allow: "POST"], message: "Log out with the Logout button.")
    }
}
