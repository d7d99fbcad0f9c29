private let hexDigits = Array("0123456789abcdef".utf8)

extension Sequence where Element == UInt8 {
    /// Lower-case hexadecimal, the form digests are stored in.
    var hexString: String {
        let digits = hexDigits
        var output = [UInt8]()
        output.reserveCapacity(64)
        for byte in self {
            output.append(digits[Int(byte >> 4)])
            output.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: output, as: UTF8.self)
    }
}
