/// The proxies in front of the server whose word on the client's address is
/// taken: a list of networks, and the one header they write it in.
///
/// Behind a proxy every connection comes from the proxy, so the client's own
/// address is known only from a header the proxy adds. Any client can send
/// that header too, so it is believed only from a peer in this list (see
/// ``clientAddress(peer:headerValues:)``). The empty list, ``none``, believes
/// no header: the peer is the client.
public struct TrustedProxies: Sendable, Equatable, CustomStringConvertible {
    /// An address and how many of its leading bits (of 32 or 128) a member
    /// shares with it.
    private struct Network: Sendable, Equatable {
        let address: IPAddress
        let prefixLength: Int
    }

    private let networks: [Network]

    /// The header these proxies set. Only this one is read: a proxy passes
    /// the other one through as the client wrote it.
    public let header: ForwardedHeader

    /// No proxies: every connection's peer is the client.
    public static let none = TrustedProxies(networks: [], header: .xForwardedFor)

    private init(networks: [Network], header: ForwardedHeader) {
        self.networks = networks
        self.header = header
    }

    /// Why an entry can't be a trusted proxy.
    public struct Problem: Error, Sendable, Equatable, CustomStringConvertible {
        public let description: String

        public init(description: String) {
            self.description = description
        }
    }

    /// `specs` as written in configuration: networks (`10.0.0.0/8`,
    /// `fd00::/8`) or single addresses (`127.0.0.1`, `::1`). Blank entries
    /// are skipped.
    public init(_ specs: [String], header: ForwardedHeader = .xForwardedFor) throws(Problem) {
        var networks: [Network] = []
        for raw in specs {
            let spec = raw.trimmingWhitespace()
            guard !spec.isEmpty else { continue }
            networks.append(try Self.network(spec))
        }
        self.init(networks: networks, header: header)
    }

    public var isEmpty: Bool { networks.isEmpty }

    /// Whether `address` is in one of the networks. An IPv4 network holds
    /// only IPv4 addresses, an IPv6 one only IPv6 ones (`::/0` is not every
    /// IPv4 client too): masking keeps an IPv4 address's `::ffff:` prefix,
    /// which only IPv4 networks have.
    public func contains(_ address: IPAddress) -> Bool {
        networks.contains { address.keepingFirst($0.prefixLength) == $0.address }
    }

    public var description: String {
        guard !networks.isEmpty else { return "none" }
        return networks.map { "\($0.address)/\($0.prefixLength)" }.joined(separator: ", ")
    }

    private static func network(_ spec: String) throws(Problem) -> Network {
        let parts = spec.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPAddress(parts[0]) else {
            throw Problem(description: "'\(spec.logSafe)' is not an IP address or network (like 10.0.0.0/8, 127.0.0.1 or fd00::/8)")
        }
        let bits = address.isIPv4 ? 32 : 128
        var prefixLength = bits
        if parts.count == 2 {
            let digits = parts[1].utf8
            guard (1...3).contains(digits.count), digits.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
                let written = Int(parts[1])
            else { throw Problem(description: "'\(spec.logSafe)' has no prefix length after its '/' (like /8 or /64)") }
            // An IPv4 network written in IPv6's mapped form (::ffff:10.0.0.0/104)
            // counts its prefix in IPv6's 128 bits.
            prefixLength = written - (address.isIPv4 && parts[0].contains(":") ? 96 : 0)
            guard (0...bits).contains(prefixLength) else {
                throw Problem(description: "'\(spec.logSafe)' has a prefix out of range: /0 to /\(bits) for \(bits == 32 ? "IPv4" : "IPv6")")
            }
        }
        // 10.0.0.1/8 is usually a typo for 10.0.0.1 (one proxy) or 10.0.0.0/8
        // (a network); guessing could trust sixteen million addresses that
        // were never meant to be, so neither is guessed.
        let network = address.keepingFirst(prefixLength)
        guard network == address else {
            throw Problem(
                description: "'\(spec.logSafe)' has bits set past its prefix: write \(network)/\(prefixLength) for the network, or \(address) alone"
            )
        }
        return Network(address: address, prefixLength: prefixLength)
    }
}
