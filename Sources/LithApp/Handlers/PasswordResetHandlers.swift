import HTTPTypes
import Hummingbird
import Lith

/// "Forgot your password?": `GET`/`POST /password/forgot`, the mailed link
/// `GET /password/reset/{token}`, and the new-password form
/// `GET`/`POST /password/reset`.
struct PasswordResetHandlers: Sendable {
    let resets: PasswordResets
    let authentication: Authentication
    let pages: Pages
    let accounts: Accounts

    /// How long the token may sit in its cookie: long enough to type a new
    /// password, well inside the link's own lifetime.
    static let cookieLifetime = 15 * 60

    func showForgot(_ request: Request, context: BasicLithRequestContext) -> Response {
        pages.render(ForgotPasswordPage(), auth: context.auth)
    }

    func submitForgot(_ request: Request, context: BasicLithRequestContext) async throws -> Response {
        var page = ForgotPasswordPage(email: context.form.text("email"))
        do {
            try await resets.request(email: page.email, from: authentication.client(of: request, context: context))
        } catch let errors as FieldErrors {
            page.fields.errors = errors
            return pages.render(page, status: .unprocessableContent, auth: context.auth)
        } catch let throttled as Throttled {
            page.fields.formError = throttled.message
            return LoginHandlers.retryLater(pages.render(page, status: .tooManyRequests, auth: context.auth), after: throttled.retryAfterSeconds)
        }
        // The same page whether or not the address has an account.
        page.sent = true
        return pages.render(page, auth: context.auth)
    }

    /// The link from the mail: its token goes into a short-lived cookie and
    /// the browser on to a URL without it, so the token doesn't stay in the
    /// history or leave in a `Referer`.
    func openLink(_ request: Request, context: BasicLithRequestContext) -> Response {
        var response = Response.redirect(to: "/password/reset", type: .normal)
        response.headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        if let token = context.parameters.get("token").flatMap({ LinkToken(text: $0) }) {
            response.addCookie(authentication.cookies.cookie(authentication.cookies.resetName, value: token.text, maxAge: Self.cookieLifetime))
        } else {
            response.addCookie(authentication.cookies.expired(authentication.cookies.resetName))
        }
        return response
    }

    func showReset(_ request: Request, context: BasicLithRequestContext) async throws -> Response {
        guard let token = token(in: request),
            try await resets.account(for: token, from: authentication.client(of: request, context: context)) != nil
        else { return expired(context: context) }
        return pages.render(ResetPasswordPage(minimumPasswordLength: accounts.passwordPolicy.minimumLength), auth: context.auth)
    }

    func submitReset(_ request: Request, context: BasicLithRequestContext) async throws -> Response {
        guard let token = token(in: request) else { return expired(context: context) }
        var page = ResetPasswordPage(minimumPasswordLength: accounts.passwordPolicy.minimumLength)
        do {
            try await resets.reset(
                with: token,
                password: context.form.text("password"),
                confirmation: context.form.text("password_confirmation"),
                from: authentication.client(of: request, context: context)
            )
        } catch let errors as FieldErrors {
            page.fields.errors = errors
            return pages.render(page, status: .unprocessableContent, auth: context.auth)
        } catch is PasswordResets.LinkRefused {
            return expired(context: context)
        } catch let overloaded as PasswordHasher.Overloaded {
            page.fields.formError = LoginHandlers.busy
            return LoginHandlers.retryLater(pages.render(page, status: .serviceUnavailable, auth: context.auth), after: overloaded.retryAfterSeconds)
        }
        // Every session has ended, this browser's too: it logs in with the
        // new password, which also proves it was typed as meant.
        var response = Response.redirect(to: authentication.loginPath, type: .normal)
        if context.auth.isSignedIn { response.addCookie(authentication.cookies.expired(authentication.cookies.sessionName)) }
        response.addCookie(authentication.cookies.expired(authentication.cookies.resetName))
        authentication.flash(AppFlash.passwordReset, on: &response, context: context)
        return response
    }

    private func token(in request: Request) -> LinkToken? {
        request.cookieValue(authentication.cookies.resetName).flatMap { LinkToken(text: $0) }
    }

    /// A used, expired, superseded or unknown link: say so, and offer a new one.
    private func expired(context: BasicLithRequestContext) -> Response {
        var page = ForgotPasswordPage()
        page.fields.formError = PasswordResets.LinkRefused.message
        var response = pages.render(page, status: .gone, auth: context.auth)
        response.addCookie(authentication.cookies.expired(authentication.cookies.resetName))
        return response
    }
}
