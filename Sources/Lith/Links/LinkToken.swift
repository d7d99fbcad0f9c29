import Crypto

/// The secret in a link Lith mails (password reset, email verification,
/// address change): 256 random bits, base64url in the URL. Like a session
/// token it never prints, and the store keeps only its SHA-256, so a leaked
/// row can't be turned back into a working link.
public struct LinkToken: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    private let bytes: [UInt8]

    public static func generate() -> LinkToken { LinkToken(bytes: SecureRandom.bytes(32)) }

    private init(bytes: [UInt8]) { self.bytes = bytes }

    /// Parses the token from a link or a cookie: exactly 43 base64url characters.
    public init?(text: some StringProtocol) {
        guard text.utf8.count == 43, let bytes = Base64URL.decode(text), bytes.count == 32 else { return nil }
        self.bytes = bytes
    }

    /// The text for the link; the only way to read the secret.
    public var text: String { Base64URL.encode(bytes) }

    /// The link: `origin` (the site's public URL, never the request's Host
    /// header, which whoever sends the request chooses), `path`, the token.
    public func link(origin: String, path: String) -> String {
        "\(origin.hasSuffix("/") ? String(origin.dropLast()) : origin)\(path)\(text)"
    }

    /// What the store keeps.
    public var digest: String {
        var hash = SHA256()
        bytes.withUnsafeBytes { hash.update(bufferPointer: $0) }
        return hash.finalize().hexString
    }

    public var description: String { "LinkToken(redacted)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: [:]) }
}
