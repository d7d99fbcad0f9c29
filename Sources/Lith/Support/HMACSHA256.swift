import Crypto

/// HMAC-SHA-256 (RFC 2104) over swift-crypto's `SHA256`.
///
/// swift-crypto's `HMAC<SHA256>` gives the same bytes (a test checks it
/// against that and RFC 4231's vectors), but it is generic and not inlinable,
/// so every call runs unspecialised and looks its type metadata up at run
/// time: measured, that was most of the cost of a CSRF token. Over the
/// concrete `SHA256` the same construction is straight-line code.
struct HMACSHA256: Sendable {
    private var inner: SHA256
    private var outer: SHA256

    /// Absorbs the padded key into both hashes once; each MAC starts from a copy.
    init(key: SymmetricKey) {
        var block = [UInt8](repeating: 0, count: 64)
        key.withUnsafeBytes { key in
            if key.count > 64 {
                var hash = SHA256()
                hash.update(bufferPointer: key)
                hash.finalize().withUnsafeBytes { block.replaceSubrange(0..<$0.count, with: $0) }
            } else {
                block.replaceSubrange(0..<key.count, with: key)
            }
        }
        inner = SHA256()
        outer = SHA256()
        block.map { $0 ^ 0x36 }.withUnsafeBytes { inner.update(bufferPointer: $0) }
        block.map { $0 ^ 0x5C }.withUnsafeBytes { outer.update(bufferPointer: $0) }
    }

    mutating func update(bufferPointer: UnsafeRawBufferPointer) {
        inner.update(bufferPointer: bufferPointer)
    }

    func finalize() -> SHA256Digest {
        var outer = outer
        inner.finalize().withUnsafeBytes { outer.update(bufferPointer: $0) }
        return outer.finalize()
    }
}
