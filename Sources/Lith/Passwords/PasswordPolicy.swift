/// The rules a new password must meet (NIST SP 800-63B §5.1.1.2): long
/// enough, not one everybody tries first, not made of the account's email.
/// No composition rules (a digit, a symbol): they make passwords harder to
/// remember, not to guess.
public struct PasswordPolicy: Sendable {
    /// At least 8 characters for a memorised secret (800-63B); raise it
    /// with `--password-min-length`.
    public var minimumLength: Int
    /// Passwords refused as too common; `nil` checks none.
    public var commonPasswords: CommonPasswords?

    /// A shorter name part would refuse too much ("al" is in many a phrase).
    static let shortestCheckedLocalPart = 3

    /// By default with Lith's bundled list (``CommonPasswords/bundled()``),
    /// if its resource folder is beside the binary.
    public init(minimumLength: Int = 8, commonPasswords: CommonPasswords? = try? CommonPasswords.bundled()) {
        self.minimumLength = minimumLength
        self.commonPasswords = commonPasswords
    }

    /// The policy with Lith's bundled list of common passwords (Django's, 19,640 entries).
    public static func standard(minimumLength: Int = 8) throws -> PasswordPolicy {
        PasswordPolicy(minimumLength: minimumLength, commonPasswords: try CommonPasswords.bundled())
    }

    /// Checks a new password for the account with `email`, cheapest rule first.
    public func check(_ password: Password, email: EmailAddress? = nil) throws(Password.Problem) {
        guard password.characterCount >= minimumLength else { throw .tooShort(minimum: minimumLength) }
        let text = password.text
        // Spaces alone are as guessable as any word on the list.
        if text.trimmingWhitespace().isEmpty { throw .tooCommon }
        if let commonPasswords, commonPasswords.contains(text) { throw .tooCommon }
        if let email {
            let lowered = text.lowercased()
            let local = email.localPart
            // "ada@example.com" with "ada@example.com1" or "xxadaxx2024".
            if lowered.contains(email.value) || (local.count >= Self.shortestCheckedLocalPart && lowered.contains(local)) {
                throw .containsEmail
            }
        }
    }
}
