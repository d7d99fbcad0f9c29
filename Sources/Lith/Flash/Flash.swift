/// A one-time message shown on the next page a browser renders. The cookie
/// carries only its name, never text: a flash is read back by looking its
/// name up among the messages registered with ``Authentication``, so nothing
/// a visitor or an attacker puts in a cookie can reach the page.
public struct Flash: Sendable, Hashable {
    /// What travels in the cookie: letters, digits and `_` only.
    public let name: String
    public let message: String
    public let kind: Kind

    /// A class name for the page's styling.
    public enum Kind: String, Sendable {
        case info, success, warning
    }

    /// An app's own message; register it with ``Authentication`` (`flashes:`)
    /// before flashing it.
    public init(_ name: String, message: String, kind: Kind = .info) {
        precondition(!name.isEmpty && name.utf8.allSatisfy(Flash.isNameByte), "a flash name is letters, digits and _ only: \(name)")
        self.name = name
        self.message = message
        self.kind = kind
    }

    public static let loggedOut = Flash("logged_out", message: "You have been logged out.")
    public static let signedUp = Flash("signed_up", message: "Welcome! Your account is ready.", kind: .success)
    public static let sessionExpired = Flash("session_expired", message: "Your session has expired. Please log in again.")

    /// The messages Lith itself flashes.
    public static let builtIn: [Flash] = [.loggedOut, .signedUp, .sessionExpired]

    private static func isNameByte(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "_")
    }
}

/// The flashes one ``Authentication`` knows: Lith's and the app's.
struct FlashRegistry: Sendable {
    private let byName: [String: Flash]

    init(_ flashes: [Flash]) {
        var byName: [String: Flash] = [:]
        for flash in Flash.builtIn + flashes { byName[flash.name] = flash }
        self.byName = byName
    }

    func flash(named name: some StringProtocol) -> Flash? { byName[String(name)] }

    func contains(_ flash: Flash) -> Bool { byName[flash.name] == flash }
}
