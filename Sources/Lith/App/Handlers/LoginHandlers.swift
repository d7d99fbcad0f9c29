import Hummingbird

/// `GET /login`, `POST /login` and `POST /logout`.
struct LoginHandlers: Sendable {
    let accounts: Accounts
    let authentication: Authentication
    let pages: Pages

    /// One message for an unknown email and a wrong password, so the page
    /// doesn't tell an attacker which accounts exist.
    static let invalidCredentials = "Invalid email or password."

    /// The hashing queue is full (``PasswordHasher/Overloaded``): nothing was checked.
    static let busy = "Too many people are signing in right now. Please try again in a few seconds."

    func show(_ request: Request, context: AppRequestContext) -> Response {
        let next = (try? FormData(urlEncoded: Array((request.uri.query ?? "").utf8)))?["next"]
        return page(context: context, next: SafeRedirect.path(next) ?? "")
    }

    func submit(_ request: Request, context: AppRequestContext) async throws -> Response {
        let form = context.auth.form ?? FormData()
        let email = form["email"] ?? ""
        let next = SafeRedirect.path(form["next"])
        let rememberMe = form["remember_me"].map { !$0.isEmpty && $0 != "0" } ?? false
        let user: User?
        do {
            user = try await accounts.authenticate(email: email, password: form["password"] ?? "")
        } catch let errors as FieldErrors {
            return page(status: .unprocessableContent, context: context, email: email, next: next ?? "", rememberMe: rememberMe, errors: errors)
        } catch let overloaded as PasswordHasher.Overloaded {
            var response = page(
                status: .serviceUnavailable, context: context, email: email, next: next ?? "", rememberMe: rememberMe,
                formError: Self.busy)
            response.headers[.retryAfter] = String(overloaded.retryAfterSeconds)
            return response
        }
        guard let user else {
            return page(
                status: .unprocessableContent, context: context, email: email, next: next ?? "", rememberMe: rememberMe,
                formError: Self.invalidCredentials)
        }
        return try await authentication.logIn(
            user, rememberMe: rememberMe, redirectTo: next ?? authentication.homePath, request: request, context: context)
    }

    func logOut(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await authentication.logOut(request: request, context: context)
    }

    /// A link or a prefetch must not end a session: logout is POST only.
    func refuseGetLogout(_ request: Request, context: AppRequestContext) throws -> Response {
        throw HTTPError(.methodNotAllowed, headers: [.allow: "POST"], message: "Log out with the Logout button.")
    }

    private func page(
        status: HTTPResponse.Status = .ok, context: AppRequestContext, email: String = "", next: String, rememberMe: Bool = false,
        errors: FieldErrors = FieldErrors(), formError: String? = nil
    ) -> Response {
        var model = PageModel.page(["email": .text(email.withoutControlCharacters), "next": .text(next), "remember_me": .flag(rememberMe)])
        // In the fields' order, so the page keeps one shape (``PageShape``).
        for field in AccountField.allCases { if let message = errors[field] { model["\(field.rawValue)_error"] = .text(message) } }
        if let formError { model["form_error"] = .text(formError) }
        return pages.render("login", title: "Log in", status: status, auth: context.auth, model)
    }
}
