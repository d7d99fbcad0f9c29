import Hummingbird
import Lith

/// `GET /account` and its forms: change the password, end sessions, delete
/// the account. Each sensitive form asks for the current password again.
struct AccountHandlers: Sendable {
    let accounts: Accounts
    let authentication: Authentication
    let store: any SecurityEventStore
    let pages: Pages
    let verification: EmailVerificationMode

    /// What the page lists of the security log.
    static let recentEvents = 20

    func show(_ request: Request, context: BasicLithRequestContext) async throws -> Response {
        try await page(context: context)
    }

    func changePassword(_ request: Request, context: BasicLithRequestContext) async throws -> Response {
        let user = try context.auth.requireUser()
        let form = context.form
        do {
            try await accounts.changePassword(
                of: user,
                current: form.text("current_password"),
                new: form.text("password"),
                confirmation: form.text("password_confirmation"),
                from: authentication.client(of: request, context: context)
            )
        } catch let errors as FieldErrors {
            return try await page(status: .unprocessableContent, context: context) { $0.passwordErrors = errors }
        } catch let throttled as Throttled {
            return try await page(status: .tooManyRequests, retryAfter: throttled.retryAfterSeconds, context: context) {
                $0.passwordFormError = throttled.message
            }
        } catch let overloaded as PasswordHasher.Overloaded {
            return try await page(status: .serviceUnavailable, retryAfter: overloaded.retryAfterSeconds, context: context) {
                $0.passwordFormError = LoginHandlers.busy
            }
        }
        // A thief's session ends with the old password; this browser gets a new token.
        var response = try await authentication.logOutEverywhere(keepingThisBrowser: true, request: request, context: context, redirectTo: "/account")
        authentication.flash(AppFlash.passwordChanged, on: &response, context: context)
        return response
    }

    func revokeSession(_ request: Request, context: BasicLithRequestContext) async throws -> Response {
        guard let id = SessionID(context.form.text("session_id")) else {
            // Not an id Lith made: nothing to end, and nothing to say to a prober.
            return Response.redirect(to: "/account", type: .normal)
        }
        return try await authentication.endSession(id, request: request, context: context, redirectTo: "/account")
    }

    func revokeOtherSessions(_ request: Request, context: BasicLithRequestContext) async throws -> Response {
        try await authentication.endOtherSessions(request: request, context: context)
        var response = Response.redirect(to: "/account", type: .normal)
        authentication.flash(AppFlash.otherSessionsEnded, on: &response, context: context)
        return response
    }

    func deleteAccount(_ request: Request, context: BasicLithRequestContext) async throws -> Response {
        let user = try context.auth.requireUser()
        do {
            try await accounts.deleteAccount(
                of: user,
                currentPassword: context.form.text("current_password"),
                from: authentication.client(of: request, context: context)
            )
        } catch let errors as FieldErrors {
            return try await page(status: .unprocessableContent, context: context) { $0.deleteError = errors[.currentPassword] ?? "" }
        } catch let throttled as Throttled {
            return try await page(status: .tooManyRequests, retryAfter: throttled.retryAfterSeconds, context: context) {
                $0.deleteError = throttled.message
            }
        } catch let overloaded as PasswordHasher.Overloaded {
            return try await page(status: .serviceUnavailable, retryAfter: overloaded.retryAfterSeconds, context: context) {
                $0.deleteError = LoginHandlers.busy
            }
        }
        return try await authentication.logOut(request: request, context: context, flash: AppFlash.accountDeleted)
    }

    /// The account page as it is now, with `adjust` applied (a form's errors).
    func page(
        status: HTTPResponse.Status = .ok,
        retryAfter: Int? = nil,
        context: BasicLithRequestContext,
        _ adjust: (inout AccountPage) -> Void = { _ in }
    ) async throws -> Response {
        let (user, session) = try context.auth.requireSession()
        async let sessions = authentication.sessions(of: user)
        async let events = store.events(userID: user.id, limit: Self.recentEvents)
        var page = AccountPage(
            user: user,
            current: session,
            sessions: try await sessions,
            events: try await events,
            minimumPasswordLength: accounts.passwordPolicy.minimumLength
        )
        page.showsVerification = verification != .off
        adjust(&page)
        var response = pages.render(page, status: status, auth: context.auth)
        if let retryAfter { response.headers[.retryAfter] = String(retryAfter) }
        return response
    }
}

/// The app's own flash messages (registered with ``Authentication``).
enum AppFlash {
    static let passwordChanged = Flash("password_changed", message: "Your password has been changed.", kind: .success)
    static let otherSessionsEnded = Flash("other_sessions_ended", message: "You have been signed out everywhere else.", kind: .success)
    static let accountDeleted = Flash("account_deleted", message: "Your account has been deleted.")

    static let passwordReset = Flash("password_reset", message: "Your password has been reset. Log in with your new password.", kind: .success)

    static let emailVerified = Flash("email_verified", message: "Your email address is confirmed.", kind: .success)
    static let verificationRefused = Flash(
        "verification_refused",
        message: "This confirmation link has expired or has already been used. Log in to ask for a new one."
    )
    static let verificationSent = Flash(
        "verification_sent",
        message: "If that address has an account waiting to be confirmed, a new link is on its way. It works for 24 hours.",
        kind: .success
    )
    static let verificationThrottled = Flash("verification_throttled", message: "Too many links were asked for. Try again in a few minutes.")
    static let emailChangeSent = Flash(
        "email_change_sent",
        message: "Check your inbox: we sent a link to the new address. Your address changes when you open it.",
        kind: .success
    )
    static let emailChanged = Flash("email_changed", message: "Your email address has been changed.", kind: .success)
    static let emailChangeRefused = Flash("email_change_refused", message: EmailChanges.LinkRefused.message)

    static let all = [
        passwordChanged, otherSessionsEnded, accountDeleted, passwordReset, emailVerified, verificationRefused, verificationSent,
        verificationThrottled, emailChangeSent, emailChanged, emailChangeRefused,
    ]
}
