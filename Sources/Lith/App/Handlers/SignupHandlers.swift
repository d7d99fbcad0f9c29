import Hummingbird

/// `GET /signup` and `POST /signup`: a new account, signed in at once.
struct SignupHandlers: Sendable {
    let accounts: Accounts
    let authentication: Authentication
    let pages: Pages

    func show(_ request: Request, context: AppRequestContext) -> Response {
        page(context: context)
    }

    func submit(_ request: Request, context: AppRequestContext) async throws -> Response {
        let form = context.auth.form ?? FormData()
        let email = form["email"] ?? ""
        do {
            let user = try await accounts.register(
                email: email, password: form["password"] ?? "", confirmation: form["password_confirmation"] ?? "")
            var response = try await authentication.logIn(user, rememberMe: false, redirectTo: authentication.homePath, request: request, context: context)
            response.addCookie(authentication.cookies.flash(.signedUp))
            return response
        } catch let errors as FieldErrors {
            // 422: the form again, the email kept, each error beside its field.
            return page(status: .unprocessableContent, context: context, email: email, errors: errors)
        } catch let overloaded as PasswordHasher.Overloaded {
            var response = page(status: .serviceUnavailable, context: context, email: email, formError: LoginHandlers.busy)
            response.headers[.retryAfter] = String(overloaded.retryAfterSeconds)
            return response
        }
    }

    private func page(
        status: HTTPResponse.Status = .ok, context: AppRequestContext, email: String = "", errors: FieldErrors = FieldErrors(),
        formError: String? = nil
    ) -> Response {
        var model = PageModel.page([
            "email": .text(email.withoutControlCharacters), "minimum_password_length": .text(String(accounts.policy.minimumLength)),
        ])
        // In the fields' order, so the page keeps one shape (``PageShape``).
        for field in AccountField.allCases { if let message = errors[field] { model["\(field.rawValue)_error"] = .text(message) } }
        if let formError { model["form_error"] = .text(formError) }
        return pages.render("signup", title: "Sign up", status: status, auth: context.auth, model)
    }
}
