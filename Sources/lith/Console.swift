#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where the CLI reads and writes. Commands get it from ``Console/current``, so
/// tests can run them in-process with a scripted console.
public protocol Console: Sendable {
    func write(_ text: String)
    func writeError(_ text: String)
    /// A line from standard input, without its line ending; `nil` at end of input.
    func readLine() -> String?
    /// A secret typed at a terminal without echo; `nil` if input isn't a terminal.
    func readSecret(prompt: String) -> String?
}

public enum ConsoleContext {
    @TaskLocal public static var current: any Console = StandardConsole()
}

/// The process's own standard streams.
public struct StandardConsole: Console {
    public init() {}

    public func write(_ text: String) {
        Self.write(text, to: STDOUT_FILENO)
    }

    public func writeError(_ text: String) {
        Self.write(text, to: STDERR_FILENO)
    }

    /// Straight to the file descriptor: unbuffered, so lines appear at once
    /// even when the output is a pipe.
    private static func write(_ text: String, to descriptor: Int32) {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            #if canImport(Glibc)
            let written = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            #else
            let written = bytes.withUnsafeBytes { Darwin.write(descriptor, $0.baseAddress, $0.count) }
            #endif
            guard written > 0 else { return }
            bytes = bytes.dropFirst(written)
        }
    }

    public func readLine() -> String? {
        Swift.readLine(strippingNewline: true).map { $0.hasSuffix("\r") ? String($0.dropLast()) : $0 }
    }

    public func readSecret(prompt: String) -> String? {
        guard isatty(STDIN_FILENO) == 1 else { return nil }
        writeError(prompt)
        var original = termios()
        tcgetattr(STDIN_FILENO, &original)
        var silent = original
        silent.c_lflag &= ~tcflag_t(ECHO)
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &silent)
        defer {
            tcsetattr(STDIN_FILENO, TCSAFLUSH, &original)
            writeError("\n")
        }
        return Swift.readLine(strippingNewline: true)
    }
}
