/// The single gate for redirects chosen by a request (`next`): only a path on
/// this site gets through (Django's `url_has_allowed_host_and_scheme` plays the
/// same part). Everything else — other hosts, schemes, protocol-relative URLs —
/// is `nil`, and the caller falls back to a page of its own.
public enum SafeRedirect {
    /// A generous bound; real paths are far shorter.
    static let maximumLength = 2048

    public static func path(_ candidate: String?) -> String? {
        guard let candidate, !candidate.isEmpty, candidate.utf8.count <= maximumLength else { return nil }
        let bytes = Array(candidate.utf8)
        // Must be an absolute path: "/x". "//x" and "/\x" are read by browsers
        // as another host ("\" is treated as "/").
        guard bytes[0] == UInt8(ascii: "/") else { return nil }
        if bytes.count > 1, bytes[1] == UInt8(ascii: "/") || bytes[1] == UInt8(ascii: "\\") { return nil }
        // Backslashes anywhere, control characters and whitespace: browsers
        // strip or rewrite them before parsing, which turns "/\t/evil.com"
        // into "//evil.com". None belongs in a path we issued.
        for scalar in candidate.unicodeScalars {
            if scalar == "\\" || scalar.properties.isWhitespace || scalar.properties.generalCategory == .control
                || scalar.properties.generalCategory == .format
            {
                return nil
            }
        }
        return candidate
    }
}
