/// An IPv4 or IPv6 address, parsed strictly from its text form.
///
/// An IPv4-mapped IPv6 address (`::ffff:10.0.0.1`) is the IPv4 address it
/// maps: a dual-stack socket reports IPv4 clients that way, and if the two
/// spellings were two values one client could count twice against a limit,
/// or a proxy listed as `10.0.0.1` would not be recognised. Anything that is
/// not exactly an address (a leading-zero octet like `010`, which some
/// parsers read as octal and others as decimal; a zone like `%eth0`; a host
/// name) is refused, so two parts of the system can't disagree about which
/// address some text names.
public struct IPAddress: Sendable, Hashable, CustomStringConvertible {
    /// The 128 bits of the IPv6 form; an IPv4 address is kept as its mapped
    /// form (`::ffff:a.b.c.d`, RFC 4291 §2.5.5.2).
    let high: UInt64
    let low: UInt64

    /// Longer text is refused before it is parsed, so a hostile header costs
    /// no more than an address. The longest address with brackets and a port,
    /// `[ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255]:65535`, is 53 bytes.
    static let maximumTextBytes = 64

    private init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    private init(ipv4: UInt32) {
        self.init(high: 0, low: 0xffff << 32 | UInt64(ipv4))
    }

    /// An address alone: `192.0.2.1`, `2001:db8::1`, `::ffff:192.0.2.1`.
    public init?(_ text: some StringProtocol) {
        guard let bytes = Self.boundedBytes(text), let address = Self.parse(bytes[...]) else { return nil }
        self = address
    }

    /// An address as a forwarding header writes it: `192.0.2.1`,
    /// `192.0.2.1:5678`, `[2001:db8::1]`, `[2001:db8::1]:443` or a bare
    /// `2001:db8::1`. The port is checked, then dropped.
    public init?(hostAndPort text: some StringProtocol) {
        guard let bytes = Self.boundedBytes(text), let address = Self.parse(hostAndPort: bytes[...]) else { return nil }
        self = address
    }

    public var isIPv4: Bool { high == 0 && low >> 32 == 0xffff }

    /// `127.0.0.0/8` or `::1`.
    public var isLoopback: Bool {
        isIPv4 ? ipv4 >> 24 == 127 : high == 0 && low == 1
    }

    /// A private, shared (CGNAT) or link-local address: `10/8`, `172.16/12`,
    /// `192.168/16`, `100.64/10`, `169.254/16`, `fc00::/7`, `fe80::/10`.
    public var isPrivate: Bool {
        guard isIPv4 else { return high >> 57 == 0b111_1110 || high >> 54 == 0b11_1111_1010 }
        let networks: [(UInt32, UInt32)] = [
            (0x0A00_0000, 8), (0xAC10_0000, 12), (0xC0A8_0000, 16), (0x6440_0000, 10), (0xA9FE_0000, 16),
        ]
        return networks.contains { network, length in ipv4 >> (32 - length) == network >> (32 - length) }
    }

    /// Dotted decimal for IPv4; RFC 5952's canonical form for IPv6: lower
    /// case, no leading zeros, the longest run of zero groups (the first of
    /// equals, two groups or more) written `::`.
    public var description: String {
        if isIPv4 {
            return [24, 16, 8, 0].map { String(ipv4 >> $0 & 0xff) }.joined(separator: ".")
        }
        let groups = (0..<8).map { UInt16(truncatingIfNeeded: ($0 < 4 ? high : low) >> (48 - 16 * ($0 % 4))) }
        var longest = 0..<0
        var runStart = 0
        for (index, group) in groups.enumerated() {
            if group != 0 {
                runStart = index + 1
            } else if index + 1 - runStart > longest.count {
                longest = runStart..<index + 1
            }
        }
        let hex = groups.map { String($0, radix: 16) }
        guard longest.count >= 2 else { return hex.joined(separator: ":") }
        return hex[..<longest.lowerBound].joined(separator: ":") + "::" + hex[longest.upperBound...].joined(separator: ":")
    }

    /// The key a throttle counts this client under: an IPv4 address itself,
    /// an IPv6 address's /64 network (`2001:db8:1:2::/64`). One IPv6 client
    /// (a home line, a rented server) is usually given a whole /64; counted
    /// per address, it could use a fresh one of its 2^64 for every attempt.
    public var throttleGroup: String {
        isIPv4 ? description : "\(keepingFirst(64))/64"
    }

    /// The address with all but its first `prefixLength` bits cleared,
    /// counting in its own family's bits (32 or 128).
    func keepingFirst(_ prefixLength: Int) -> IPAddress {
        let bits = (isIPv4 ? 96 : 0) + prefixLength
        // Shifts of 64 or more give 0 in Swift, so /0 and /128 need no cases.
        let highMask = UInt64.max << (64 - min(bits, 64))
        let lowMask = UInt64.max << (128 - max(bits, 64))
        return IPAddress(high: high & highMask, low: low & lowMask)
    }

    private var ipv4: UInt32 { UInt32(truncatingIfNeeded: low) }
}

// MARK: - Parsing

extension IPAddress {
    private static func boundedBytes(_ text: some StringProtocol) -> [UInt8]? {
        let bytes = Array(text.utf8.prefix(maximumTextBytes + 1))
        return bytes.count <= maximumTextBytes ? bytes : nil
    }

    static func parse(hostAndPort bytes: ArraySlice<UInt8>) -> IPAddress? {
        guard bytes.count <= maximumTextBytes else { return nil }
        if bytes.first == UInt8(ascii: "[") {
            // Brackets hold IPv6 only (RFC 3986's IP-literal).
            guard let close = bytes.firstIndex(of: UInt8(ascii: "]")), let address = parseIPv6(bytes[(bytes.startIndex + 1)..<close])
            else { return nil }
            let rest = bytes[(close + 1)...]
            guard rest.isEmpty || (rest.first == UInt8(ascii: ":") && isPort(rest.dropFirst())) else { return nil }
            return address
        }
        // One colon: IPv4 and a port. More: a bare IPv6 address, no port.
        guard bytes.count(where: { $0 == UInt8(ascii: ":") }) == 1, let colon = bytes.firstIndex(of: UInt8(ascii: ":")) else {
            return parse(bytes)
        }
        guard isPort(bytes[(colon + 1)...]), let ipv4 = parseIPv4(bytes[..<colon]) else { return nil }
        return IPAddress(ipv4: ipv4)
    }

    static func parse(_ bytes: ArraySlice<UInt8>) -> IPAddress? {
        guard bytes.count <= maximumTextBytes else { return nil }
        if bytes.contains(UInt8(ascii: ":")) { return parseIPv6(bytes) }
        return parseIPv4(bytes).map(IPAddress.init(ipv4:))
    }

    /// Exactly four decimal octets, each 0–255 without leading zeros.
    private static func parseIPv4(_ bytes: ArraySlice<UInt8>) -> UInt32? {
        let parts = bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard (1...3).contains(part.count), part.allSatisfy(isDigit), part.count == 1 || part.first != UInt8(ascii: "0")
            else { return nil }
            let octet = part.reduce(UInt32(0)) { $0 * 10 + UInt32($1 - UInt8(ascii: "0")) }
            guard octet <= 255 else { return nil }
            value = value << 8 | octet
        }
        return value
    }

    /// RFC 4291 §2.2: eight groups of one to four hex digits; one `::` for
    /// one or more zero groups; dotted IPv4 for the last two groups.
    private static func parseIPv6(_ bytes: ArraySlice<UInt8>) -> IPAddress? {
        let colon = UInt8(ascii: ":")
        let gap = bytes.indices.dropLast().first { bytes[$0] == colon && bytes[$0 + 1] == colon }
        let head = gap.map { bytes[..<$0] } ?? bytes
        let tail = gap.map { bytes[($0 + 2)...] } ?? []
        guard let headGroups = groups(head, lastMayBeIPv4: gap == nil), let tailGroups = groups(tail, lastMayBeIPv4: true) else {
            return nil
        }
        let count = headGroups.count + tailGroups.count
        guard gap == nil ? count == 8 : count <= 7 else { return nil }
        let all = headGroups + Array(repeating: 0, count: 8 - count) + tailGroups
        let word = { (range: Range<Int>) in all[range].reduce(UInt64(0)) { $0 << 16 | UInt64($1) } }
        return IPAddress(high: word(0..<4), low: word(4..<8))
    }

    /// The groups between colons; a second `::`, or a colon at either end,
    /// leaves an empty group and is refused.
    private static func groups(_ bytes: ArraySlice<UInt8>, lastMayBeIPv4: Bool) -> [UInt16]? {
        guard !bytes.isEmpty else { return [] }
        let parts = bytes.split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false)
        var groups: [UInt16] = []
        for (index, part) in parts.enumerated() {
            if index == parts.count - 1, lastMayBeIPv4, part.contains(UInt8(ascii: ".")) {
                guard let ipv4 = parseIPv4(part) else { return nil }
                groups += [UInt16(ipv4 >> 16), UInt16(ipv4 & 0xffff)]
            } else {
                guard (1...4).contains(part.count), part.allSatisfy(isHexDigit) else { return nil }
                groups.append(part.reduce(0) { $0 << 4 | UInt16(hexValue($1)) })
            }
        }
        return groups
    }

    private static func isPort(_ bytes: ArraySlice<UInt8>) -> Bool {
        guard (1...5).contains(bytes.count), bytes.allSatisfy(isDigit) else { return false }
        return bytes.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) } <= 65535
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        isDigit(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte | 0x20)
    }

    private static func hexValue(_ digit: UInt8) -> UInt8 {
        isDigit(digit) ? digit - UInt8(ascii: "0") : (digit | 0x20) - UInt8(ascii: "a") + 10
    }
}
