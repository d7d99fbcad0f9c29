/// Bytes from the operating system's CSPRNG (`getrandom` on Linux,
/// `arc4random_buf` on Apple platforms), which is what
/// `SystemRandomNumberGenerator` is documented to use.
enum SecureRandom {
    static func bytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        var bytes = [UInt8](repeating: 0, count: count)
        var index = 0
        while index < count {
            var word = generator.next()
            for _ in 0..<8 where index < count {
                bytes[index] = UInt8(truncatingIfNeeded: word)
                word >>= 8
                index += 1
            }
        }
        return bytes
    }
}
