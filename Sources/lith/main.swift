#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

exit(await LithCommand.run(arguments: Array(CommandLine.arguments.dropFirst())))
