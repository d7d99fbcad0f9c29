import Lith

/// `/password/forgot`: the email to send a link to, and after sending, the
/// same sentence whatever the address.
struct ForgotPasswordPage: Page {
    static let template = "forgot"
    static let hasGuestForm = true
    var email = ""
    /// The request was taken: the page says a link is on its way (if the account exists).
    var sent = false
    var fields = FormFields()

    /// What every request is told, whether or not the address has an account.
    static let sentMessage = "If an account exists for that address, we've sent a link. It works for one hour."

    var title: String { fields.title(sent ? "Check your inbox" : "Forgot your password?") }

    func fill(_ model: inout PageModel) {
        model["email"] = .text(email.withoutControlCharacters)
        model["sent"] = .text(sent ? Self.sentMessage : "")
        fields.fill(&model)
    }
}

/// `/password/reset`: the new password, for the account the link was for.
struct ResetPasswordPage: Page {
    static let template = "reset"
    static let hasGuestForm = true
    var minimumPasswordLength: Int
    var fields = FormFields()

    var title: String { fields.title("Choose a new password") }

    func fill(_ model: inout PageModel) {
        model["minimum_password_length"] = .text(String(minimumPasswordLength))
        fields.fill(&model)
    }
}
