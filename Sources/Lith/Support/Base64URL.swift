/// Base64url without padding (RFC 4648 §5): the alphabet that is safe in cookies,
/// form fields and URLs without any further escaping.
///
/// A signed-in request decodes its session cookie and encodes a CSRF token,
/// so both work over contiguous bytes into storage sized up front, with the
/// alphabet by arithmetic rather than tables behind lazy globals.
enum Base64URL {
    static func encode<Bytes: Collection>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        if let encoded = bytes.withContiguousStorageIfAvailable({ encode(UnsafeRawBufferPointer($0)) }) { return encoded }
        return Array(bytes).withUnsafeBytes { encode($0) }
    }

    static func encode(_ bytes: UnsafeRawBufferPointer) -> String {
        String(unsafeUninitializedCapacity: (bytes.count * 4 + 2) / 3) { output in
            var read = 0
            var written = 0
            while read < bytes.count {
                let first = bytes[read]
                let second = read + 1 < bytes.count ? bytes[read + 1] : nil
                let third = read + 2 < bytes.count ? bytes[read + 2] : nil
                output[written] = symbol(first >> 2)
                output[written + 1] = symbol((first & 0x03) << 4 | (second ?? 0) >> 4)
                written += 2
                if let second {
                    output[written] = symbol((second & 0x0F) << 2 | (third ?? 0) >> 6)
                    written += 1
                }
                if let third {
                    output[written] = symbol(third & 0x3F)
                    written += 1
                }
                read += 3
            }
            return written
        }
    }

    /// Decodes strict unpadded base64url; anything else (padding, other alphabets,
    /// impossible lengths, non-zero trailing bits) is `nil`.
    static func decode(_ text: some StringProtocol) -> [UInt8]? {
        if let decoded = text.utf8.withContiguousStorageIfAvailable({ decode($0) }) { return decoded }
        return Array(text.utf8).withUnsafeBufferPointer { decode($0) }
    }

    private static func decode(_ input: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        guard input.count % 4 != 1 else { return nil }
        var valid = true
        let output = [UInt8](unsafeUninitializedCapacity: input.count * 3 / 4) { output, written in
            var buffer: UInt32 = 0
            var bits = 0
            written = 0
            for byte in input {
                guard let value = value(of: byte) else {
                    valid = false
                    return
                }
                buffer = buffer << 6 | UInt32(value)
                bits += 6
                if bits >= 8 {
                    bits -= 8
                    output[written] = UInt8(truncatingIfNeeded: buffer >> UInt32(bits))
                    written += 1
                }
            }
            // Leftover bits must be zero, so every byte string has exactly one encoding.
            valid = buffer & ((1 << UInt32(bits)) - 1) == 0
        }
        return valid ? output : nil
    }

    /// The symbol for a 6-bit value: A–Z, a–z, 0–9, `-`, `_`.
    @inline(__always)
    private static func symbol(_ value: UInt8) -> UInt8 {
        switch value {
        case 0..<26: UInt8(ascii: "A") + value
        case 26..<52: value - 26 + UInt8(ascii: "a")
        case 52..<62: value - 52 + UInt8(ascii: "0")
        case 62: UInt8(ascii: "-")
        default: UInt8(ascii: "_")
        }
    }

    /// The 6-bit value of a symbol, or `nil` for a byte outside the alphabet.
    @inline(__always)
    private static func value(of symbol: UInt8) -> UInt8? {
        switch symbol {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): symbol - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): symbol - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): symbol - UInt8(ascii: "0") + 52
        case UInt8(ascii: "-"): 62
        case UInt8(ascii: "_"): 63
        default: nil
        }
    }
}
