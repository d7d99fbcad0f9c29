#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Bytes from the operating system's CSPRNG in one call per 256 bytes:
/// `getentropy` (the `getrandom` system call on Linux, the kernel's source on
/// Apple platforms). `SystemRandomNumberGenerator` reads the same source but
/// makes a system call per 8 bytes, four per token.
enum SecureRandom {
    static func bytes(_ count: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        bytes.withUnsafeMutableBytes { buffer in
            var offset = 0
            while offset < count {
                let chunk = min(256, count - offset)  // getentropy's limit
                guard getentropy(buffer.baseAddress! + offset, chunk) == 0 else {
                    // Only on a kernel without a CSPRNG; never hand out weak tokens.
                    fatalError("getentropy failed: errno \(errno)")
                }
                offset += chunk
            }
        }
        return bytes
    }
}
