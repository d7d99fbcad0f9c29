#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Password hashing runs below the event loops' priority.
///
/// A hash is a quarter of a second of a core; a page view is a tenth of a
/// millisecond. With both on the same cores, a storm of logins made signed-in
/// page views wait behind scrypt (p99 more than 4× idle, measured). At a nice
/// of 10 the kernel lets a page view's thread run first whenever both are
/// ready, and hashes still get every cycle the pages leave, so logins lose
/// nothing on a machine that isn't also serving pages.
enum HashingThreadPriority {
    static let nice: Int32 = 10

    /// Lowers the calling thread's priority; idempotent and cheap (a syscall
    /// against a hash's quarter second), so every job may call it.
    static func lowerCurrentThread() {
        #if os(Linux)
        // On Linux each thread is a task of its own, and PRIO_PROCESS with
        // id 0 means the calling thread, not the whole process.
        let which = __priority_which_t(PRIO_PROCESS.rawValue)
        if getpriority(which, 0) < nice { _ = setpriority(which, 0, nice) }
        #endif
    }
}
