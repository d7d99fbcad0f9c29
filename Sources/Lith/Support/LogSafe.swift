extension StringProtocol {
    /// The text as it may appear in a log line: control characters, line and
    /// paragraph separators (U+2028, U+2029) and bidirectional overrides are
    /// written as `\u{…}` escapes, and anything past `limit` characters is
    /// cut off with a note of how much was left out.
    ///
    /// Everything that comes from a request goes through this before a log
    /// line: a CR/LF or U+2028 in a header would otherwise start a forged
    /// line in the log (log injection), and an 8 KB header would make each
    /// refusal an 8 KB line (log flooding).
    ///
    /// `escapingBackslashes: false` leaves backslashes alone, for a second
    /// pass over text that may already be escaped (a log handler's): a
    /// backslash can't break a line, and escaping it twice garbles the first
    /// pass's escapes.
    public func logSafe(limit: Int = 200, escapingBackslashes: Bool = true) -> String {
        var output = ""
        var count = 0
        var scalars = unicodeScalars.makeIterator()
        while let scalar = scalars.next() {
            guard count < limit else {
                var rest = 1
                while scalars.next() != nil { rest += 1 }
                output += "…(\(rest) more)"
                break
            }
            count += 1
            if Self.needsEscape(scalar), escapingBackslashes || scalar != "\\" {
                output += "\\u{" + String(scalar.value, radix: 16) + "}"
            } else {
                output.unicodeScalars.append(scalar)
            }
        }
        return output
    }

    /// ``logSafe(limit:)`` with the default limit.
    public var logSafe: String { logSafe() }

    private static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.value < 0x20 || scalar.value == 0x7F { return true }
        if scalar.isASCII { return scalar == "\\" }
        switch scalar.properties.generalCategory {
        case .control, .format, .lineSeparator, .paragraphSeparator, .surrogate, .privateUse, .unassigned: return true
        default: return false
        }
    }
}
