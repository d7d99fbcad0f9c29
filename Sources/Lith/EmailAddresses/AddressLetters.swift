import Foundation

/// The mail about an account's address: proving it, someone signing up
/// with it again, and moving the account to another one.
public struct AddressLetters: Sendable {
    /// Who the mail is from, as the person knows the site ("Lith").
    public let siteName: String

    public init(siteName: String) {
        self.siteName = siteName
    }

    /// At signup (or "resend"): the link that proves the address.
    public func verificationLink(to address: EmailAddress, link: String, lifetime: TimeInterval) -> MailMessage {
        let valid = ResetLetters.span(lifetime)
        let text = """
            Please confirm that \(address.value) is the address of your \(siteName) account.

            Open this link within \(valid):

            \(link)

            If you didn't create an account, ignore this mail: nothing happens without the link.
            """
        let html = """
            <p>Please confirm that \(ResetLetters.escape(address.value)) is the address of your \(ResetLetters.escape(siteName)) account.</p>
            <p><a href="\(ResetLetters.escape(link))">Confirm my address</a> (the link works once, within \(valid)).</p>
            <p>If you didn't create an account, ignore this mail: nothing happens without the link.</p>
            """
        return MailMessage(to: address, subject: "Confirm your \(siteName) address", text: text, html: ResetLetters.page(html))
    }

    /// A signup for an address that has an account already (`required`
    /// mode, where the signup page doesn't say so): its owner hears of it.
    public func signupAttempt(to address: EmailAddress) -> MailMessage {
        let text = """
            Someone tried to create a \(siteName) account with \(address.value), which already has one.

            If it was you: you can log in with your password, or ask for a reset link from the login page if you've forgotten it.
            If it wasn't you, you need do nothing: no second account was made.
            """
        let html = """
            <p>Someone tried to create a \(ResetLetters.escape(siteName)) account with \(ResetLetters.escape(address.value)), which already has one.</p>
            <p>If it was you: you can log in with your password, or ask for a reset link from the login page if you've forgotten it.</p>
            <p>If it wasn't you, you need do nothing: no second account was made.</p>
            """
        return MailMessage(to: address, subject: "Your \(siteName) account", text: text, html: ResetLetters.page(html))
    }

    /// To the new address: the link that makes the change.
    public func changeLink(to address: EmailAddress, link: String, lifetime: TimeInterval) -> MailMessage {
        let valid = ResetLetters.span(lifetime)
        let text = """
            Someone asked to move a \(siteName) account to this address (\(address.value)).

            To make the change, open this link within \(valid):

            \(link)

            If you didn't ask for it, ignore this mail: nothing changes without the link.
            """
        let html = """
            <p>Someone asked to move a \(ResetLetters.escape(siteName)) account to this address (\(ResetLetters.escape(address.value))).</p>
            <p><a href="\(ResetLetters.escape(link))">Use this address</a> (the link works once, within \(valid)).</p>
            <p>If you didn't ask for it, ignore this mail: nothing changes without the link.</p>
            """
        return MailMessage(to: address, subject: "Confirm your new \(siteName) address", text: text, html: ResetLetters.page(html))
    }

    /// To the old address: told, with no link in it, so a stolen session
    /// can't quietly take the account's mail (and with it, password resets).
    public func changeRequested(to address: EmailAddress, newAddress: EmailAddress, at date: Date) -> MailMessage {
        let when = ResetLetters.minutes(date)
        let text = """
            At \(when) someone signed in to your \(siteName) account (\(address.value)) asked to move it to \(newAddress.value).
            It moves only when the link sent to that address is opened.

            If that wasn't you, change your password at once: it ends every other session and the request with them.
            """
        let html = """
            <p>At \(when) someone signed in to your \(ResetLetters.escape(siteName)) account (\(ResetLetters.escape(address.value))) asked to move it to \(ResetLetters.escape(newAddress.value)).
            It moves only when the link sent to that address is opened.</p>
            <p>If that wasn't you, change your password at once: it ends every other session and the request with them.</p>
            """
        return MailMessage(to: address, subject: "Your \(siteName) address is being changed", text: text, html: ResetLetters.page(html))
    }
}
