/// The header a trusted proxy writes the client's address in.
public enum ForwardedHeader: String, Sendable, CaseIterable {
    /// `X-Forwarded-For: client, proxy1`, from nginx, HAProxy and most load
    /// balancers.
    case xForwardedFor = "x-forwarded-for"
    /// RFC 7239's `Forwarded: for=client;proto=https, for=proxy1`.
    case forwarded
}

extension TrustedProxies {
    /// At most this many entries, and bytes, are read from the right of the
    /// header: more than any real chain of proxies writes, so a client that
    /// pads its side of the header (the left) costs no more than this.
    public static let maximumEntries = 64
    public static let maximumHeaderBytes = 4096

    /// The address of the client behind `peer`, the connection's other end.
    ///
    /// 1. An untrusted peer is the client, whatever its headers say: anyone
    ///    can send `X-Forwarded-For: 127.0.0.1`.
    /// 2. From a trusted peer, ``header``'s entries (all its lines, in order,
    ///    as one list) are read from the right, the end each proxy appends
    ///    to. Trusted proxies are skipped; the first other address is the
    ///    client. Everything to its left was written by the client and
    ///    means nothing.
    /// 3. An entry that isn't an address (`unknown`, an obfuscated
    ///    `_hidden`, garbage, or the read limit reached) ends the walk at the
    ///    last address to its right, the trusted proxy that received it:
    ///    what lies further left can't be vouched for.
    /// 4. If every entry is a trusted proxy, the left-most one; with no
    ///    entries, the peer.
    ///
    /// `headerValues` are the request's lines of ``header`` only.
    public func clientAddress(peer: IPAddress?, headerValues: [String]) -> IPAddress? {
        guard let peer else { return nil }
        guard contains(peer) else { return peer }
        var nearest = peer
        for entry in entriesFromTheRight(headerValues) {
            guard let entry else { return nearest }
            let node = Self.trimmingSpaces(entry)
            if node.isEmpty { continue }  // RFC 9110 §5.6.1: empty list elements are ignored.
            guard let address = header == .forwarded ? Self.forwardedFor(node) : IPAddress.parse(hostAndPort: node) else {
                return nearest
            }
            guard contains(address) else { return address }
            nearest = address
        }
        return nearest
    }

    /// ``clientAddress(peer:headerValues:)`` with ``header``'s lines picked
    /// out of a request's header `fields` (name and value, in order). The
    /// other forwarding header is never read: a proxy that sets one passes
    /// the other through as the client wrote it.
    public func clientAddress(peer: IPAddress?, fields: some Sequence<(name: String, value: String)>) -> IPAddress? {
        guard let peer, contains(peer) else { return peer }
        let values = fields.filter { $0.name.lowercased() == header.rawValue }.map(\.value)
        return clientAddress(peer: peer, headerValues: values)
    }

    /// The comma-separated entries of `values` read as one list, right-most
    /// first; `nil` in place of an entry the limits cut off. Splitting from
    /// the right means nothing the client wrote on the left (an unclosed
    /// quote, say) can change how the proxies' entries on the right are read.
    /// A quoted comma in some other `Forwarded` parameter (legal, but never
    /// part of an address) splits its element, and the halves read as
    /// garbage: the walk stops at that proxy, the safe side.
    private func entriesFromTheRight(_ values: [String]) -> [ArraySlice<UInt8>?] {
        var entries: [ArraySlice<UInt8>?] = []
        var bytesLeft = Self.maximumHeaderBytes
        for value in values.reversed() {
            let bytes = Array(value.utf8.suffix(bytesLeft))
            let cut = bytes.count < value.utf8.count
            bytesLeft -= bytes.count
            let pieces = bytes.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false)
            for (index, piece) in pieces.enumerated().reversed() {
                guard entries.count < Self.maximumEntries, !(cut && index == 0) else { return entries + [nil] }
                entries.append(piece)
            }
        }
        return entries
    }

    /// The node of a `Forwarded` element's `for` parameter (RFC 7239 §4),
    /// unquoted, as an address; nil if the element has none, has two, or
    /// has a pair that isn't `name=value`. Other parameters are ignored.
    private static func forwardedFor(_ element: ArraySlice<UInt8>) -> IPAddress? {
        var node: ArraySlice<UInt8>?
        for rawPair in element.split(separator: UInt8(ascii: ";")) {
            let pair = trimmingSpaces(rawPair)
            if pair.isEmpty { continue }
            guard let equals = pair.firstIndex(of: UInt8(ascii: "=")) else { return nil }
            guard pair[..<equals].map({ $0 | 0x20 }) == Array("for".utf8) else { continue }
            // A second `for` is ambiguous (§4 allows one per element): which would a proxy have meant?
            guard node == nil else { return nil }
            var value = pair[(equals + 1)...]
            if value.first == UInt8(ascii: "\"") {
                guard value.count >= 2, value.last == UInt8(ascii: "\"") else { return nil }
                value = value.dropFirst().dropLast()
            }
            node = value
        }
        return node.flatMap(IPAddress.parse(hostAndPort:))
    }

    private static func trimmingSpaces(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        let isSpace = { (byte: UInt8) in byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        guard let first = bytes.firstIndex(where: { !isSpace($0) }), let last = bytes.lastIndex(where: { !isSpace($0) }) else { return [] }
        return bytes[first...last]
    }
}
