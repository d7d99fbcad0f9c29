import Foundation

extension ContiguousBytes {
    /// Lower-case hexadecimal, the form digests are stored in. Written straight
    /// into the string's storage, with the digits by arithmetic: a digest is
    /// hexed on every signed-in request.
    var hexString: String {
        withUnsafeBytes { bytes in
            String(unsafeUninitializedCapacity: bytes.count * 2) { output in
                for (index, byte) in bytes.enumerated() {
                    output[2 * index] = hexDigit(byte >> 4)
                    output[2 * index + 1] = hexDigit(byte & 0x0F)
                }
                return bytes.count * 2
            }
        }
    }
}

@inline(__always)
private func hexDigit(_ nibble: UInt8) -> UInt8 {
    nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") - 10 + nibble
}
