/// A session's public name: what the account page's session list shows and
/// posts back to end one session, and what the security log records.
///
/// Random and unrelated to the token (128 bits, hex): knowing it lets no one
/// resume the session — unlike the token, or its digest, which is the
/// store's key. Ending a session by id also checks its owner, so another
/// user's id (an insecure direct object reference) changes nothing.
public struct SessionID: Sendable, Hashable, CustomStringConvertible {
    /// 32 lower-case hex digits.
    public let value: String

    static let byteCount = 16

    /// A fresh id from the system's CSPRNG.
    public static func generate() -> SessionID {
        SessionID(trusted: SecureRandom.bytes(byteCount).hexString)
    }

    /// Parses a posted or stored id: exactly 32 lower-case hex digits, else `nil`.
    public init?(_ text: some StringProtocol) {
        guard text.utf8.count == 2 * Self.byteCount,
            text.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0) })
        else { return nil }
        self.value = String(text)
    }

    /// A value read back from the store, which only ever holds ids made here.
    init(trusted value: String) {
        self.value = value
    }

    public var description: String { value }
}
