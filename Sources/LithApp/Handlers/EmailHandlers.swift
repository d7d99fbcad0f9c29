import HTTPTypes
import Hummingbird
import Lith

/// The account's address: the verification link and "resend"
/// (`GET /email/verify/{token}`, `POST /email/verify/resend`), putting the
/// banner away (`POST /email/verify/later`), and moving the account to a new
/// address (`POST /account/email`; the mailed link `GET /account/email/confirm/{token}`
/// shows a button that posts to `POST /account/email/confirm`).
struct EmailHandlers: Sendable {
    let verifications: EmailVerifications
    let changes: EmailChanges
    let authentication: Authentication
    let account: AccountHandlers
    let pages: Pages

    /// The link from the signup mail. It works once; the token is spent
    /// before the redirect, so the URL left in the history is worthless.
    func verify(_ request: Request, context: BasicLithRequestContext) async throws -> Response {
        let signedIn = context.auth.isSignedIn
        var response = Response.redirect(to: signedIn ? authentication.homePath : "/login", type: .normal)
        response.headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        var flash = AppFlash.verificationRefused
        if let token = context.parameters.get("token").flatMap({ LinkToken(text: $0) }),
            try await verifications.verify(token, from: authentication.client(of: request, context: context)) != nil
        {
            flash = AppFlash.emailVerified
        }
        authentication.flash(flash, on: &response, context: context)
        return response
    }

    /// "Resend": a signed-in user's own address, or (in `required` mode) the
    /// address a guest types on the login page; the same answer whatever it is.
    func resend(_ request: Request, context: BasicLithRequestContext) async throws -> Response {
        let client = authentication.client(of: request, context: context)
        let signedIn = context.auth.user
        var response = Response.redirect(to: signedIn == nil ? "/login" : authentication.homePath, type: .normal)
        do {
            if let user = signedIn {
                try await verifications.resend(for: user, from: client)
            } else if verifications.mode == .required {
                try await verifications.resend(email: context.form.text("email"), from: client)
            }
        } catch is FieldErrors {
            // A malformed address: nothing to send, and nothing to say that
            // a well-formed unknown one wouldn't get.
        } catch let throttled as Throttled {
            authentication.flash(AppFlash.verificationThrottled, on: &response, context: context)
            return LoginHandlers.retryLater(response, after: throttled.retryAfterSeconds)
        }
        authentication.flash(AppFlash.verificationSent, on: &response, context: context)
        return response
    }

    /// "Not now": the banner stays away in this browser until it closes.
    func later(_ request: Request, context: BasicLithRequestContext) throws -> Response {
        _ = try context.auth.requireUser()
        var response = Response.redirect(to: authentication.homePath, type: .normal)
        response.addCookie(authentication.cookies.cookie(Self.laterCookie, value: "1", maxAge: nil))
        return response
    }

    static let laterCookie = "lith_verify_later"

    /// Whether this browser put the banner away.
    static func putAway(_ request: Request) -> Bool {
        request.cookieValue(laterCookie) == "1"
    }

    func requestChange(_ request: Request, context: BasicLithRequestContext) async throws -> Response {
        let user = try context.auth.requireUser()
        let newEmail = context.form.text("email")
        do {
            try await changes.request(
                for: user,
                newEmail: newEmail,
                currentPassword: context.form.text("current_password"),
                from: authentication.client(of: request, context: context)
            )
        } catch let errors as FieldErrors {
            return try await account.page(status: .unprocessableContent, context: context) {
                $0.emailChangeErrors = errors
                $0.newEmail = newEmail
            }
        } catch let throttled as Throttled {
            return try await account.page(status: .tooManyRequests, retryAfter: throttled.retryAfterSeconds, context: context) {
                $0.emailChangeFormError = throttled.message
                $0.newEmail = newEmail
            }
        } catch let overloaded as PasswordHasher.Overloaded {
            return try await account.page(status: .serviceUnavailable, retryAfter: overloaded.retryAfterSeconds, context: context) {
                $0.emailChangeFormError = LoginHandlers.busy
                $0.newEmail = newEmail
            }
        }
        var response = Response.redirect(to: "/account", type: .normal)
        authentication.flash(AppFlash.emailChangeSent, on: &response, context: context)
        return response
    }

    /// The link from the mail: a page naming the new address, with a button.
    /// Opening the link changes nothing, so a mail scanner that fetches every
    /// link can't move an account to an address someone mistyped.
    func showConfirmChange(_ request: Request, context: BasicLithRequestContext) async throws -> Response {
        guard let token = context.parameters.get("token").flatMap({ LinkToken(text: $0) }),
            let newEmail = try await changes.pendingAddress(for: token)
        else {
            var response = Response.redirect(to: context.auth.isSignedIn ? "/account" : "/login", type: .normal)
            authentication.flash(AppFlash.emailChangeRefused, on: &response, context: context)
            return response
        }
        // The token is in this page's URL; the site-wide `Referrer-Policy:
        // same-origin` keeps it from other sites. (Not `no-referrer`: with it
        // Chromium sends the button's POST with `Origin: null`, which the
        // CSRF check rightly refuses.)
        return pages.render(ConfirmEmailChangePage(token: token.text, newEmail: newEmail.value), auth: context.auth)
    }

    func confirmChange(_ request: Request, context: BasicLithRequestContext) async throws -> Response {
        var response = Response.redirect(to: context.auth.isSignedIn ? "/account" : "/login", type: .normal)
        var flash = AppFlash.emailChangeRefused
        if let token = LinkToken(text: context.form.text("token")) {
            do {
                try await changes.confirm(token, from: authentication.client(of: request, context: context))
                flash = AppFlash.emailChanged
            } catch is EmailChanges.LinkRefused {}
        }
        authentication.flash(flash, on: &response, context: context)
        return response
    }
}
