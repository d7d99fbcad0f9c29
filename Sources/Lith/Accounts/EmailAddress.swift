import Foundation

/// An email address as Lith stores and compares it: trimmed and lower-cased once,
/// here, so two spellings of one address can never become two accounts.
public struct EmailAddress: Sendable, Hashable, Codable, CustomStringConvertible {
    /// RFC 5321's limit on a forward path (and the limit most mail systems enforce).
    public static let maximumLength = 254

    public let value: String

    /// Why a string is not an email address, in words a form can show.
    public enum Problem: Error, Sendable, Equatable {
        case missing
        case tooLong
        case invalidCharacters
        case malformed

        public var message: String {
            switch self {
            case .missing: "Enter your email address."
            case .tooLong: "An email address can be at most \(EmailAddress.maximumLength) characters."
            case .invalidCharacters: "An email address can't contain spaces or control characters."
            case .malformed: "Enter an email address like name@example.com."
            }
        }
    }

    public init(_ raw: String) throws(Problem) {
        // NFC first: "é" typed as one character or as "e" + accent is one address.
        let trimmed = raw.trimmingWhitespace().precomposedStringWithCanonicalMapping
        guard !trimmed.isEmpty else { throw .missing }
        guard trimmed.utf8.count <= Self.maximumLength else { throw .tooLong }
        guard
            !trimmed.unicodeScalars.contains(where: {
                $0.properties.isWhitespace || $0.properties.generalCategory == .control || $0.properties.generalCategory == .format
            })
        else { throw .invalidCharacters }
        let parts = trimmed.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, let local = parts.first, let domain = parts.last,
            Self.isPlausibleLocalPart(local), Self.isPlausibleDomain(domain)
        else { throw .malformed }
        self.value = trimmed.lowercased()
    }

    /// Rebuilds an address that was normalised before it was stored.
    init(stored: String) {
        self.value = stored
    }

    /// RFC 5322's dot-atom: dots only between characters (`a.b`, not `.a`,
    /// `a.` or `a..b`). Quoted local parts are legal but no real provider hands them out.
    private static func isPlausibleLocalPart(_ local: Substring) -> Bool {
        !local.isEmpty && local.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { !$0.isEmpty }
            && !local.contains(where: { "\"(),:;<>[\\]".contains($0) })
    }

    /// A dot-separated host name: at least two labels of letters, digits and
    /// inner hyphens (`example.com`, not `example`, `.com`, `a..com`,
    /// `-x.com` or `[127.0.0.1]`). Non-ASCII letters are allowed (IDNs).
    private static func isPlausibleDomain(_ domain: Substring) -> Bool {
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        return labels.count >= 2
            && labels.allSatisfy { label in
                !label.isEmpty && label.first != "-" && label.last != "-"
                    && label.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" }
            }
    }

    public var description: String { value }

    public init(from decoder: any Decoder) throws {
        let raw = try decoder.singleValueContainer().decode(String.self)
        self = try EmailAddress(raw)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value)
    }
}

extension String {
    func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let start = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
            let end = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        return String(scalars[start...end])
    }
}

extension EmailAddress {
    /// The part before the `@`, for refusing passwords built from it.
    public var localPart: String { String(value[..<(value.lastIndex(of: "@") ?? value.endIndex)]) }

    /// What the throttle counts a typed email under: the address if it is
    /// one, else the text trimmed, lower-cased and bounded — so a malformed
    /// email is counted too, and two spellings of one address are one count.
    static func throttleKey(_ raw: String) -> String {
        if let email = try? EmailAddress(raw) { return email.value }
        return String(raw.trimmingWhitespace().lowercased().prefix(maximumLength))
    }
}
