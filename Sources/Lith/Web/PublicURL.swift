/// The origin people reach the site at, e.g. `https://login.example.com`:
/// what the `Origin` of a form post must be, the host the site answers to
/// by default, and (later) the start of every link in mail — never built
/// from a request's Host header, which whoever sends the request controls.
public struct PublicURL: Sendable, Equatable, CustomStringConvertible {
    /// `http` or `https`.
    public let scheme: String
    /// Lower-cased; IPv6 addresses in brackets.
    public let host: HostHeader
    /// `https://login.example.com`, with the port only when it isn't the
    /// scheme's default: exactly what a browser sends as `Origin`.
    public let origin: String

    public var isHTTPS: Bool { scheme == "https" }

    public struct Problem: Error, Sendable, Equatable, CustomStringConvertible {
        public let description: String
    }

    public init(_ text: String) throws(Problem) {
        let text = text.trimmingWhitespace()
        let problem = Problem(description: "the public URL must look like https://login.example.com, got '\(text.logSafe)'")
        guard let separator = text.range(of: "://") else { throw problem }
        let scheme = text[..<separator.lowerBound].lowercased()
        var authority = text[separator.upperBound...]
        if authority.hasSuffix("/") { authority = authority.dropLast() }
        guard scheme == "http" || scheme == "https", !authority.contains("/"), !authority.contains("@"), !authority.contains("?"),
            !authority.contains("#"), let host = HostHeader(authority)
        else { throw problem }
        self.init(scheme: scheme, host: host)
    }

    init(scheme: String, host: HostHeader) {
        self.scheme = scheme
        self.host = host
        self.origin = Self.origin(scheme: scheme, name: host.name, port: host.port)
    }

    /// `scheme://name[:port]`, the port left out when it is the scheme's default.
    static func origin(scheme: String, name: String, port: Int?) -> String {
        let isDefault = port == nil || (scheme == "http" && port == 80) || (scheme == "https" && port == 443)
        return isDefault ? "\(scheme)://\(name)" : "\(scheme)://\(name):\(port!)"
    }

    public var description: String { origin }
}
