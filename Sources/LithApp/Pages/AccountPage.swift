import Lith

/// `GET /account`: the signed-in user's password, sessions, recent security
/// activity, and the way out.
struct AccountPage: Page {
    static let template = "account"
    static let isWide = true
    let user: User
    /// The browser asking: its session is marked "this device".
    let current: SessionRecord
    let sessions: [SessionRecord]
    let events: [SecurityEvent]
    let minimumPasswordLength: Int
    /// The change-password form's errors.
    var passwordErrors = FieldErrors()
    /// The form-level message above the change-password or delete form.
    var passwordFormError = ""
    var deleteError = ""
    /// Whether the address's state is shown (not in `off` mode).
    var showsVerification = true
    /// The change-email form: what was typed, its errors.
    var newEmail = ""
    var emailChangeErrors = FieldErrors()
    var emailChangeFormError = ""

    var title: String {
        let clean =
            passwordErrors.isEmpty && passwordFormError.isEmpty && deleteError.isEmpty && emailChangeErrors.isEmpty && emailChangeFormError.isEmpty
        return clean ? "Your account" : "Error: Your account"
    }

    func fill(_ model: inout PageModel) {
        model["email"] = .text(user.email.value)
        model["email_verified_at"] = .text(showsVerification ? user.emailVerifiedAt.map(UTCDateText.minutes) ?? "" : "")
        model["email_unverified"] = .flag(showsVerification && !user.isEmailVerified)
        model["member_since"] = .text(UTCDateText.minutes(user.createdAt))
        model["password_changed_at"] = .text(UTCDateText.minutes(user.passwordChangedAt))
        model["minimum_password_length"] = .text(String(minimumPasswordLength))
        model["password_form_error"] = .text(passwordFormError)
        // The first invalid field of the change-password form gets the focus.
        let firstInvalid = [AccountField.currentPassword, .password, .passwordConfirmation].first { passwordErrors[$0] != nil }
        for field in [AccountField.currentPassword, .password, .passwordConfirmation] {
            model["\(field.rawValue)_error"] = .text(passwordErrors[field] ?? "")
            model["\(field.rawValue)_focus"] = .flag(field == firstInvalid)
        }
        model["sessions"] = .list(sessions.map(row))
        model["other_sessions"] = .flag(sessions.contains { $0.id != current.id })
        model["has_events"] = .flag(!events.isEmpty)
        model["events"] = .list(events.map(row))
        model["new_email"] = .text(newEmail)
        model["new_email_error"] = .text(emailChangeErrors[.email] ?? "")
        model["email_change_password_error"] = .text(emailChangeErrors[.currentPassword] ?? "")
        model["email_change_form_error"] = .text(emailChangeFormError)
        model["new_email_focus"] = .flag(emailChangeErrors[.email] != nil)
        model["email_change_password_focus"] = .flag(emailChangeErrors[.email] == nil && emailChangeErrors[.currentPassword] != nil)
        model["delete_error"] = .text(deleteError)
    }

    /// One session of the list; its fields are named apart from the page's
    /// own keys (mustache would look a missing row field up on the page).
    private func row(_ session: SessionRecord) -> PageObject {
        let isCurrent = session.id == current.id
        return [
            "session_id": session.id.value,
            "session_browser": BrowserSummary(userAgent: session.userAgent).description,
            "session_address": session.ipAddress ?? "unknown address",
            "session_started": UTCDateText.minutes(session.createdAt),
            "session_started_iso": UTCDateText.iso8601(session.createdAt),
            "session_seen": UTCDateText.minutes(session.lastSeenAt),
            "session_seen_iso": UTCDateText.iso8601(session.lastSeenAt),
            "session_current": isCurrent ? "this device" : "",
            "session_other": isCurrent ? "" : "yes",
        ]
    }

    private func row(_ event: SecurityEvent) -> PageObject {
        [
            "event_time": UTCDateText.minutes(event.at),
            "event_time_iso": UTCDateText.iso8601(event.at),
            "event_what": event.kind.summary,
            "event_browser": event.browser ?? "",
            "event_address": event.address ?? "",
        ]
    }
}
