#if canImport(Glibc)
import Glibc
#endif

/// Transparent huge pages for scrypt's working memory.
///
/// Every password hash allocates scrypt's whole working memory in one block
/// (16 MiB at the benchmarks' cost, 128 MiB at OWASP's) and frees it after.
/// In 4 KiB pages the kernel faults that block in 4,096 or 32,768 times per
/// hash: measured, 17% of a hash's CPU time went to the kernel. glibc can ask
/// for transparent huge pages for such blocks (`glibc.malloc.hugetlb=1`), but
/// reads its tunables only when a process starts, so `lith` sets this one and
/// executes itself again, once, before doing anything else. On a 2-core VM the
/// hash rate rose from ~30 to ~34 hashes/s at ln=14 and from 3.5 to 4.2 at
/// OWASP's ln=17, with the same RSS; memory still goes back after each hash.
enum HugePages {
    static let tunable = "glibc.malloc.hugetlb"

    /// The `GLIBC_TUNABLES` value to start again with, or nil to run on as we
    /// are: the value already names the tunable, set by our own re-execution
    /// or by an operator (`glibc.malloc.hugetlb=0` turns this off).
    static func tunables(adding current: String?) -> String? {
        guard let current, !current.isEmpty else { return "\(tunable)=1" }
        if current.split(separator: ":").contains(where: { $0.hasPrefix("\(tunable)=") }) { return nil }
        return current + ":\(tunable)=1"
    }

    /// Re-executes this program with the tunable set. Returns only when it
    /// doesn't: not glibc, the tunable already set, or the exec failed (then
    /// the environment is as it was and the program runs on with small pages).
    static func requestAtStartup() {
        #if canImport(Glibc)
        let current = getenv("GLIBC_TUNABLES").map { String(cString: $0) }
        guard let value = tunables(adding: current) else { return }
        setenv("GLIBC_TUNABLES", value, 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        if let current { setenv("GLIBC_TUNABLES", current, 1) } else { unsetenv("GLIBC_TUNABLES") }
        #endif
    }
}
