/// The rules a new password must meet.
public struct PasswordPolicy: Sendable {
    /// NIST SP 800-63B §5.1.1.2: at least 8 characters for a memorised secret.
    public var minimumLength: Int

    public init(minimumLength: Int = 8) {
        self.minimumLength = minimumLength
    }

    public func check(_ password: Password) throws(Password.Problem) {
        guard password.characterCount >= minimumLength else { throw .tooShort(minimum: minimumLength) }
    }
}
