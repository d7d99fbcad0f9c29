import Lith
import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The process's open-file limit, which every connection counts against.
///
/// systemd and most shells start a process with a soft limit of 1024, well
/// below what the kernel allows it (the hard limit): about a thousand idle
/// sockets from one client would then stop the server accepting anyone. So
/// `lith serve` raises the soft limit to the hard one, and keeps its
/// connection limit below it, with room for the database, logs and threads.
enum DescriptorLimit {
    /// Descriptors kept for everything that isn't a client connection:
    /// SQLite's files, event loops, thread pools, standard streams.
    static let reserved = 64

    /// Raises the soft limit as far as allowed; returns it (`nil` if unknown).
    static func raise(logger: Logger) -> Int? {
        var limit = rlimit()
        guard getrlimit(resourceLimit, &limit) == 0 else { return nil }
        let before = limit.rlim_cur
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(resourceLimit, &raised) == 0 {
                limit = raised
                logger.info("raised the open-file limit to the hard limit", metadata: ["from": "\(before)", "to": "\(limit.rlim_cur)"])
            }
        }
        return limit.rlim_cur >= rlim_t(Int.max) ? Int.max : Int(limit.rlim_cur)
    }

    #if canImport(Glibc)
    private static let resourceLimit = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    #else
    private static let resourceLimit = RLIMIT_NOFILE
    #endif

    /// `limits` with its connection limit below the descriptor limit, after
    /// raising that. An explicit `--max-connections` above it is lowered, with
    /// a warning: past the descriptor limit the server can't accept anyone.
    static func fit(_ limits: ConnectionLimits, explicit: Bool, poolSize: Int, logger: Logger) -> ConnectionLimits {
        guard let descriptors = raise(logger: logger) else { return limits }
        var limits = limits
        let room = max(16, descriptors - reserved - poolSize)
        if limits.maximumConnections > room {
            if explicit {
                logger.warning(
                    "--max-connections is above what the open-file limit leaves room for; lowered",
                    metadata: ["asked": "\(limits.maximumConnections)", "lowered_to": "\(room)", "open_file_limit": "\(descriptors)"]
                )
            }
            limits.maximumConnections = room
        }
        logger.info("connection limit", metadata: ["max_connections": "\(limits.maximumConnections)", "open_file_limit": "\(descriptors)"])
        return limits
    }
}
