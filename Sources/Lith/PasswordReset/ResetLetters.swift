import Foundation

/// The mail of a password reset, in words a person reads on a phone: what
/// happened, the one thing to do, and what to do if it wasn't them.
public struct ResetLetters: Sendable {
    /// Who the mail is from, as the person knows the site ("Lith").
    public let siteName: String

    public init(siteName: String) {
        self.siteName = siteName
    }

    /// The link, valid for `lifetime`.
    public func resetLink(to address: EmailAddress, link: String, lifetime: TimeInterval) -> MailMessage {
        let valid = Self.span(lifetime)
        let text = """
            Someone asked to reset the password of your \(siteName) account (\(address.value)).

            To choose a new password, open this link within \(valid):

            \(link)

            The link works once. If you didn't ask for it, ignore this mail: your password stays as it is.
            """
        let html = """
            <p>Someone asked to reset the password of your \(Self.escape(siteName)) account (\(Self.escape(address.value))).</p>
            <p><a href="\(Self.escape(link))">Choose a new password</a> (the link works once, within \(valid)).</p>
            <p>If you didn't ask for it, ignore this mail: your password stays as it is.</p>
            """
        return MailMessage(to: address, subject: "Reset your \(siteName) password", text: text, html: Self.page(html))
    }

    /// After a reset: tells the owner, in case it wasn't them.
    public func passwordChanged(to address: EmailAddress, at date: Date) -> MailMessage {
        let when = Self.minutes(date)
        let text = """
            The password of your \(siteName) account (\(address.value)) was changed at \(when), and every session was signed out.

            If that wasn't you, ask for a new reset link from the login page at once, and check your mailbox's security too.
            """
        let html = """
            <p>The password of your \(Self.escape(siteName)) account (\(Self.escape(address.value))) was changed at \(when), and every session was signed out.</p>
            <p>If that wasn't you, ask for a new reset link from the login page at once, and check your mailbox's security too.</p>
            """
        return MailMessage(to: address, subject: "Your \(siteName) password was changed", text: text, html: Self.page(html))
    }

    static func page(_ body: String) -> String {
        "<!doctype html><html><body style=\"font-family: sans-serif; line-height: 1.5\">\n\(body)\n</body></html>"
    }

    static func escape(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    /// `2026-11-28 09:05 UTC`.
    static func minutes(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        func two(_ n: Int?) -> String { n.map { $0 < 10 ? "0\($0)" : "\($0)" } ?? "00" }
        return "\(c.year ?? 1970)-\(two(c.month))-\(two(c.day)) \(two(c.hour)):\(two(c.minute)) UTC"
    }

    /// "1 hour", "30 minutes", "2 hours".
    static func span(_ seconds: TimeInterval) -> String {
        let minutes = Int((seconds / 60).rounded())
        if minutes % 60 == 0 { return minutes == 60 ? "1 hour" : "\(minutes / 60) hours" }
        return minutes == 1 ? "1 minute" : "\(minutes) minutes"
    }
}
