import Hummingbird
import Lith

/// `GET /signup` and `POST /signup`: a new account, signed in at once
/// (its address to be confirmed), or, when verification is `required`,
/// "Check your inbox" whether or not the address had an account.
struct SignupHandlers: Sendable {
    let accounts: Accounts
    let authentication: Authentication
    let pages: Pages
    let verifications: EmailVerifications

    func show(_ request: Request, context: BasicLithRequestContext) -> Response {
        pages.render(SignupPage(minimumPasswordLength: accounts.passwordPolicy.minimumLength), auth: context.auth)
    }

    func submit(_ request: Request, context: BasicLithRequestContext) async throws -> Response {
        let form = context.form
        var page = SignupPage(email: form.text("email"), minimumPasswordLength: accounts.passwordPolicy.minimumLength)
        do {
            let client = authentication.client(of: request, context: context)
            if verifications.mode == .required {
                try await verifications.signUpQuietly(
                    email: page.email,
                    password: form.text("password"),
                    confirmation: form.text("password_confirmation"),
                    from: client
                )
                return pages.render(CheckInboxPage(email: page.email), auth: context.auth)
            }
            let user = try await accounts.register(
                email: page.email,
                password: form.text("password"),
                confirmation: form.text("password_confirmation"),
                from: client
            )
            // The account exists now: a link that couldn't be queued (the
            // database blinked) is not a failed signup; the banner's
            // "Send a new link" makes another.
            try? await verifications.accountCreated(user)
            var response = try await authentication.logIn(user, request: request, context: context)
            authentication.flash(.signedUp, on: &response, context: context)
            return response
        } catch let errors as FieldErrors {
            // 422: the form again, the email kept, each error beside its field.
            page.fields.errors = errors
            return pages.render(page, status: .unprocessableContent, auth: context.auth)
        } catch let throttled as Throttled {
            page.fields.formError = throttled.message
            return LoginHandlers.retryLater(pages.render(page, status: .tooManyRequests, auth: context.auth), after: throttled.retryAfterSeconds)
        } catch let overloaded as PasswordHasher.Overloaded {
            page.fields.formError = LoginHandlers.busy
            return LoginHandlers.retryLater(
                pages.render(page, status: .serviceUnavailable, auth: context.auth),
                after: overloaded.retryAfterSeconds
            )
        }
    }
}
