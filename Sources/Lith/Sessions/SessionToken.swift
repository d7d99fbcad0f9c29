import Crypto

/// The secret a browser holds to prove it owns a session: 256 random bits,
/// base64url in the cookie. It never prints, logs or dumps itself; only its
/// ``SessionToken/Digest`` goes to the store, so a leaked database row can't be
/// replayed as a cookie.
public struct SessionToken: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    /// 256 bits: far beyond guessing (OWASP asks for at least 64 bits of entropy).
    static let byteCount = 32

    /// Base64url of 32 bytes, unpadded.
    static let encodedLength = 43

    private let bytes: [UInt8]

    /// A fresh token from the system's CSPRNG.
    public static func generate() -> SessionToken {
        SessionToken(bytes: SecureRandom.bytes(byteCount))
    }

    private init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Parses a cookie value. Anything but exactly 43 base64url characters is
    /// `nil`, so garbage and oversized cookies turn into a guest before any
    /// database work.
    public init?(cookieValue: some StringProtocol) {
        guard cookieValue.utf8.count == Self.encodedLength,
            let bytes = Base64URL.decode(cookieValue), bytes.count == Self.byteCount
        else { return nil }
        self.bytes = bytes
    }

    /// The value to put in the `Set-Cookie` header; the only way to read the secret.
    public var cookieValue: String { Base64URL.encode(bytes) }

    /// What the store keys sessions by.
    public var digest: Digest { Digest(bytes: bytes) }

    /// The secret's bytes, for signing (the CSRF token is an HMAC of them).
    func withUnsafeBytes<T>(_ body: (UnsafeRawBufferPointer) -> T) -> T {
        bytes.withUnsafeBytes(body)
    }

    public var description: String { "SessionToken(redacted)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: [:]) }

    /// SHA-256 of a session token, hex encoded. Safe to store and log: it can't be
    /// turned back into a cookie.
    public struct Digest: Sendable, Hashable, CustomStringConvertible {
        public let hex: String

        init(bytes: [UInt8]) {
            // `SHA256.hash(data:)` is generic and unspecialised across modules.
            var hash = SHA256()
            bytes.withUnsafeBytes { hash.update(bufferPointer: $0) }
            self.hex = hash.finalize().hexString
        }

        /// A digest read back from the store, which only holds digests made here.
        init(storedHex: String) {
            self.hex = storedHex
        }

        public var description: String { hex }
    }
}
