/// The host names this site answers to (Django's `ALLOWED_HOSTS`).
///
/// A request for any other name is refused before a handler runs. Without
/// this, a page on `rebind.evil.example` whose DNS points at the server (DNS
/// rebinding) is same-origin with it in the visitor's browser: it could read
/// the signup form, token included, and post it back with a matching
/// `Origin`. Names are compared without the port, case-insensitively, and
/// without a trailing dot (`Example.COM.` is `example.com`).
public struct AllowedHosts: Sendable, Equatable, CustomStringConvertible {
    private enum Names: Sendable, Equatable {
        case any
        case only(Set<String>)
    }

    private let names: Names

    /// Every host name: only for a server behind a proxy that checks Host
    /// itself. Lith logs a warning when started with it.
    public static let any = AllowedHosts(names: .any)

    private init(names: Names) {
        self.names = names
    }

    /// Why a name can't be an allowed host.
    public struct Problem: Error, Sendable, Equatable, CustomStringConvertible {
        public let description: String

        public init(description: String) {
            self.description = description
        }
    }

    /// `names` as written on a command line: host names or IP addresses,
    /// each optionally with a port (ignored), or `*` alone for any host.
    public init(_ names: some Sequence<String>) throws(Problem) {
        var set = Set<String>()
        for raw in names {
            let name = raw.trimmingWhitespace()
            if name == "*" {
                self = .any
                return
            }
            guard let host = HostHeader(name) else {
                throw Problem(description: "'\(name.logSafe)' is not a host name (like login.example.com or 127.0.0.1)")
            }
            set.insert(host.name)
        }
        guard !set.isEmpty else { throw Problem(description: "no host names given") }
        self.names = .only(set)
    }

    /// Whether a request whose Host header names `host` may be served.
    public func allows(_ host: HostHeader) -> Bool {
        switch names {
        case .any: true
        case .only(let set): set.contains(host.name)
        }
    }

    public var allowsAny: Bool { names == .any }

    public var description: String {
        switch names {
        case .any: "*"
        case .only(let set): set.sorted().joined(separator: ", ")
        }
    }
}

/// A `Host` header value (RFC 9110 §7.2: `uri-host [ ":" port ]`), parsed
/// strictly: a registered name of letters, digits, `-`, `_` and `.`, an IPv4
/// address, or an IPv6 address in brackets; then an optional port. Anything
/// else (spaces, `/`, `@`, percent signs, an empty name) is not a host.
public struct HostHeader: Sendable, Hashable {
    /// Lower-cased, without a trailing dot; IPv6 addresses keep their brackets.
    public let name: String
    public let port: Int?

    public init?(_ value: some StringProtocol) {
        let bytes = Array(value.utf8)
        guard !bytes.isEmpty, bytes.count <= 255 + 6 else { return nil }
        var hostEnd = bytes.count
        var port: Int?
        if bytes[0] == UInt8(ascii: "[") {
            guard let close = bytes.firstIndex(of: UInt8(ascii: "]")), close > 1 else { return nil }
            guard bytes[1..<close].allSatisfy({ Self.isHexDigit($0) || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: ".") }) else { return nil }
            hostEnd = close + 1
            if hostEnd < bytes.count {
                guard bytes[hostEnd] == UInt8(ascii: ":"), let parsed = Self.port(bytes[(hostEnd + 1)...]) else { return nil }
                port = parsed
            }
        } else {
            if let colon = bytes.firstIndex(of: UInt8(ascii: ":")) {
                guard let parsed = Self.port(bytes[(colon + 1)...]) else { return nil }
                port = parsed
                hostEnd = colon
            }
            var name = bytes[..<hostEnd]
            if name.last == UInt8(ascii: ".") { name = name.dropLast() }
            hostEnd = name.count
            guard !name.isEmpty, name.first != UInt8(ascii: "."),
                name.allSatisfy({ Self.isNameByte($0) }),
                !name.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false).contains(where: \.isEmpty)
            else { return nil }
        }
        self.name = String(decoding: bytes[..<hostEnd], as: UTF8.self).lowercased()
        self.port = port
    }

    private static func port(_ digits: ArraySlice<UInt8>) -> Int? {
        guard (1...5).contains(digits.count), digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
            let port = Int(String(decoding: digits, as: UTF8.self)), port <= 65535
        else { return nil }
        return port
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
            || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(byte)
    }

    private static func isNameByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"):
            true
        default: false
        }
    }
}
