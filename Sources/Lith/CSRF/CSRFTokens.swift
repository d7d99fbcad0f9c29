import Crypto
import Foundation

/// Makes and checks CSRF tokens. A token is an HMAC, under a key shared by
/// every instance, of what binds it to one browser:
///
/// - signed in: the session token itself (never its digest, which the store
///   holds beside the key: a leaked database must not yield CSRF tokens), so
///   the token is new at every login and dies with the session;
/// - guest: a random nonce in the guest's own cookie, so showing a login form
///   writes nothing to the database. The token carries the time it was
///   issued, inside the MAC: it works for ``guestLifetime``, so one `GET
///   /login` can't arm a flood of POSTs (or a login-CSRF cookie) for ever.
///
/// An attacker on another site can read neither the cookie nor the key, so
/// can't produce the token a form must carry (OWASP: synchroniser token for
/// sessions, signed double-submit cookie for guests).
///
/// Internal to Lith; the `Benchmarks` SPI lets the micro-benchmarks time it.
@_spi(Benchmarks) public struct CSRFTokens: Sendable {
    /// The HMAC with the key already absorbed: copying it per token skips
    /// re-deriving the inner and outer pads from the key every time.
    private let keyed: HMACSHA256
    private let clock: @Sendable () -> Date

    /// How long a guest's form token works: a few hours, longer than anyone
    /// keeps a login page open before submitting it.
    static let guestLifetime: TimeInterval = 3 * 60 * 60

    /// Slack for instances whose clocks differ a little: a token issued
    /// "in the future" by this much is still fine.
    static let clockSkew: TimeInterval = 5 * 60

    @_spi(Benchmarks) public init(key: SymmetricKey, clock: @escaping @Sendable () -> Date = Date.init) {
        self.keyed = HMACSHA256(key: key)
        self.clock = clock
    }

    @_spi(Benchmarks) public func token(forSession token: SessionToken) -> String {
        token.withUnsafeBytes { sign("session:", $0) }
    }

    /// `<issued-at seconds>.<MAC of the nonce and the issued-at>`.
    @_spi(Benchmarks) public func token(forGuestNonce nonce: String) -> String {
        let issued = String(Int64(clock().timeIntervalSince1970))
        return issued + "." + guestMAC(nonce: nonce, issued: issued)
    }

    private func guestMAC(nonce: String, issued: some StringProtocol) -> String {
        var message = issued + ":" + nonce
        return message.withUTF8 { sign("guest:", UnsafeRawBufferPointer($0)) }
    }

    /// What a guest's presented token is worth.
    enum GuestVerdict: Equatable {
        case valid
        /// Genuine, but issued more than ``guestLifetime`` ago.
        case expired
        case invalid
    }

    /// Checks a guest's token against the nonce in their cookie: the MAC in
    /// constant time first, then its age (an expired token is only reported
    /// as such if it is genuine).
    func verifyGuest(_ presented: String, nonce: String) -> GuestVerdict {
        guard let dot = presented.utf8.firstIndex(of: UInt8(ascii: ".")) else { return .invalid }
        let issued = presented[..<dot]
        guard issued.utf8.count <= 12, let seconds = Int64(issued) else { return .invalid }
        let mac = presented[presented.index(after: dot)...]
        guard matches(String(mac), expected: guestMAC(nonce: nonce, issued: issued)) else { return .invalid }
        let age = clock().timeIntervalSince1970 - Double(seconds)
        return age <= Self.guestLifetime && age >= -Self.clockSkew ? .valid : .expired
    }

    /// Constant-time, so response timing doesn't leak how much of a guess was right.
    @_spi(Benchmarks) public func matches(_ presented: String, expected: String) -> Bool {
        ConstantTime.equals(Array(presented.utf8), Array(expected.utf8))
    }

    /// The MAC of `kind` followed by `value`, fed in place rather than
    /// joined into a new buffer first. A session's token is signed as the
    /// bytes it is, not re-encoded from the cookie it was decoded from.
    private func sign(_ kind: StaticString, _ value: UnsafeRawBufferPointer) -> String {
        var mac = keyed
        kind.withUTF8Buffer { mac.update(bufferPointer: UnsafeRawBufferPointer($0)) }
        mac.update(bufferPointer: value)
        return mac.finalize().withUnsafeBytes { Base64URL.encode($0) }
    }

    /// The form field every Lith form carries the token in.
    public static let fieldName = Authentication.csrfFieldName

    /// A fresh guest nonce: 256 bits, base64url.
    @_spi(Benchmarks) public static func newGuestNonce() -> String {
        Base64URL.encode(SecureRandom.bytes(32))
    }

    /// Whether a cookie value looks like a nonce Lith issued (43 base64url characters).
    static func isWellFormedNonce(_ value: String) -> Bool {
        value.utf8.count == 43 && Base64URL.decode(value)?.count == 32
    }
}
