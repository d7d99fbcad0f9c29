/// A password as typed, on its way to the hasher. It never prints itself, so a
/// stray `print` or log line can't leak it.
public struct Password: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// Past this, hashing is a denial-of-service lever and no person types it
    /// (OWASP allows a cap of at least 64 characters; 1024 bytes is generous).
    public static let maximumBytes = 1024

    let bytes: [UInt8]

    public enum Problem: Error, Sendable, Equatable {
        case missing
        case tooShort(minimum: Int)
        case tooLong
        case containsNUL
        /// On the list of common passwords (``CommonPasswords``).
        case tooCommon
        /// The email's name part, or the password inside it.
        case containsEmail

        public var message: String {
            switch self {
            case .missing: "Enter a password."
            case .tooShort(let minimum): "Use at least \(minimum) characters."
            case .tooLong: "A password can be at most \(Password.maximumBytes) bytes."
            case .containsNUL: "A password can't contain NUL characters."
            case .tooCommon: "This password is too common. Try a phrase of a few words."
            case .containsEmail: "This password is too close to your email address. Try a phrase of a few words."
            }
        }
    }

    /// Checks only what every password must satisfy (present, bounded, no NUL);
    /// strength rules for new passwords live in ``PasswordPolicy``.
    public init(_ raw: String) throws(Problem) {
        guard !raw.isEmpty else { throw .missing }
        guard raw.utf8.count <= Self.maximumBytes else { throw .tooLong }
        guard !raw.utf8.contains(0) else { throw .containsNUL }
        self.bytes = Array(raw.utf8)
    }

    /// The length a person sees, in characters (NIST 800-63B counts characters).
    var characterCount: Int { text.count }

    /// The password as text, for the policy's checks; never for output.
    var text: String { String(decoding: bytes, as: UTF8.self) }

    public var description: String { "Password(redacted)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: [:]) }
}
