import Lith

/// One page of the app: its template, its title, and its values in a fixed
/// order. Every value a template may read is always present — an absent
/// message is an empty text, which switches its section off — so a page's
/// keys are in the same order every time by construction, which is what
/// lets ``CompiledTemplates`` reuse a compiled page for the next request.
protocol Page: Sendable {
    /// The template's file name, without `.mustache`.
    static var template: String { get }
    /// The page's title; pages showing errors say so first ("Error: …").
    var title: String { get }
    /// The page's values, in the order the template reads them.
    func fill(_ model: inout PageModel)
    /// A page with wider content than a form (the dashboard).
    static var isWide: Bool { get }
    /// A page with a form a guest posts (it needs a CSRF token; other guest
    /// pages mint none).
    static var hasGuestForm: Bool { get }
}

extension Page {
    static var isWide: Bool { false }
    static var hasGuestForm: Bool { false }
}

/// The fields of Lith's account forms, each with its error message and
/// whether it is the first invalid one (which gets the focus).
struct FormFields: Sendable {
    var errors = FieldErrors()
    var formError: String?

    var hasErrors: Bool { !errors.isEmpty || formError != nil }

    /// `…_error` and `…_focus` for every field, in the fields' order, then
    /// the form's own error. With no errors, the email field has the focus.
    func fill(_ model: inout PageModel) {
        let firstInvalid = AccountField.allCases.first { errors[$0] != nil } ?? .email
        for field in AccountField.allCases {
            model["\(field.rawValue)_error"] = .text(errors[field] ?? "")
            model["\(field.rawValue)_focus"] = .flag(field == firstInvalid)
        }
        model["form_error"] = .text(formError ?? "")
    }

    func title(_ base: String) -> String { hasErrors ? "Error: \(base)" : base }
}

struct LoginPage: Page {
    static let template = "login"
    static let hasGuestForm = true
    var email = ""
    /// A same-site path to go back to after logging in, or empty.
    var next = ""
    var rememberMe = false
    var fields = FormFields()
    /// The account's address isn't confirmed yet (`required` mode): a
    /// button sends a new link.
    var offerResend = false

    var title: String { fields.title("Log in") }

    func fill(_ model: inout PageModel) {
        model["email"] = .text(email.withoutControlCharacters)
        model["next"] = .text(next)
        model["remember_me"] = .flag(rememberMe)
        fields.fill(&model)
        model["offer_resend"] = .flag(offerResend)
    }
}

struct SignupPage: Page {
    static let template = "signup"
    static let hasGuestForm = true
    var email = ""
    var minimumPasswordLength: Int
    var fields = FormFields()

    var title: String { fields.title("Sign up") }

    func fill(_ model: inout PageModel) {
        model["email"] = .text(email.withoutControlCharacters)
        model["minimum_password_length"] = .text(String(minimumPasswordLength))
        fields.fill(&model)
    }
}

struct DashboardPage: Page {
    static let template = "dashboard"
    static let isWide = true
    let user: User
    let session: SessionRecord
    /// The banner asking to open the verification link.
    var asksToVerify = false

    var title: String { "Dashboard" }

    func fill(_ model: inout PageModel) {
        model["verify_banner"] = .flag(asksToVerify)
        model["email"] = .text(user.email.value)
        model["signed_in_at"] = .text(UTCDateText.minutes(session.createdAt))
        model["signed_in_at_iso"] = .text(UTCDateText.iso8601(session.createdAt))
        model["session_end"] = .text(Self.sessionEnd(session))
    }

    /// `after 30 minutes without activity, and at the latest at …`, in one
    /// allocation.
    static func sessionEnd(_ session: SessionRecord) -> String {
        var text = "after "
        text.reserveCapacity(112)
        text += UTCDateText.span(session.idleTimeout)
        text += " without activity, and at the latest at "
        text += UTCDateText.minutes(session.expiresAt)
        if session.rememberMe { text += " (remembered on this device)" }
        return text
    }
}

struct ErrorPage: Page {
    static let template = "error"
    let heading: String
    let message: String

    var title: String { heading }

    func fill(_ model: inout PageModel) {
        model["heading"] = .text(heading)
        model["message"] = .text(message)
    }
}

extension String {
    /// What a form may echo back of a rejected value: control characters
    /// (NUL among them) would show as something the person never typed.
    var withoutControlCharacters: String {
        // Most echoes are printable ASCII: nothing to filter, no scalar walk.
        if utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) { return self }
        return String(String.UnicodeScalarView(unicodeScalars.filter { $0.properties.generalCategory != .control }))
    }
}

/// After a signup in `required` mode: the same page whether the address was
/// new (its link is on the way) or had an account (its owner is told).
struct CheckInboxPage: Page {
    static let template = "check-inbox"
    let email: String

    var title: String { "Check your inbox" }

    func fill(_ model: inout PageModel) {
        model["email"] = .text(email.withoutControlCharacters)
    }
}

/// The page of an address-change link: the new address and one button.
struct ConfirmEmailChangePage: Page {
    static let template = "confirm-email"
    static let hasGuestForm = true
    let token: String
    let newEmail: String

    var title: String { "Confirm your new address" }

    func fill(_ model: inout PageModel) {
        model["new_email"] = .text(newEmail)
        model["token"] = .text(token)
    }
}
