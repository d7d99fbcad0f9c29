import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The address `lith serve` was told to listen on can't be used: one line
/// saying why, in words (exit status 69, like an unreachable database).
struct ListenError: Error, CustomStringConvertible {
    let description: String

    /// `nil` when `error` isn't about the listening address.
    init?(host: String, port: Int, _ error: any Error) {
        let reason: String
        switch error {
        case let error as IOError:
            switch error.errnoCode {
            case EADDRINUSE: reason = "the port is already in use (another lith, or another server)"
            case EACCES: reason = "permission denied (ports below 1024 need privileges)"
            case EADDRNOTAVAIL: reason = "this machine has no such address"
            default: reason = String(cString: strerror(error.errnoCode))
            }
        case is SocketAddressError, is SocketAddressError.UnknownHost:
            reason = "no such address or host name on this machine"
        default:
            return nil
        }
        self.description = "can't listen on \(host):\(port): \(reason)"
    }
}
