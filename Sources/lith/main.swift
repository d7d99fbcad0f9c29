import CLithMalloc

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// First of all, as it may start the program again (see HugePages).
HugePages.requestAtStartup()

// A password hash allocates its scrypt buffer in one piece (16 MiB at
// ln=14,r=8). After freeing the first, glibc raises its mmap threshold above
// that size and keeps later ones in per-thread arenas, so a server that had
// handled a few concurrent logins stayed ~33 MiB larger for good (measured).
// A fixed threshold hands such buffers back to the kernel when freed. The
// OWASP default (128 MiB) is above glibc's ceiling and was never kept.
_ = lith_fix_mmap_threshold(1 << 20)

exit(await LithCommand.run(arguments: Array(CommandLine.arguments.dropFirst())))
