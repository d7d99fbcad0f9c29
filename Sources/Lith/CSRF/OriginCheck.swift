import HTTPTypes
import Hummingbird

/// The second wall against cross-site requests: what the browser itself says
/// about where a request came from. Browsers send `Sec-Fetch-Site` and
/// `Origin` on form POSTs and scripts can't forge them; their absence
/// (old browsers, command-line clients) leaves the token as the only check.
public struct OriginCheck: Sendable {
    /// Origins allowed besides the request's own host, e.g.
    /// `https://example.com` when a proxy rewrites the Host header.
    public var trustedOrigins: Set<String>

    public init(trustedOrigins: Set<String> = []) {
        self.trustedOrigins = Set(trustedOrigins.map { $0.lowercased() })
    }

    func allows(_ request: Request) -> Bool {
        if let site = request.headers[.secFetchSite]?.lowercased(), site != "same-origin", site != "none" {
            return false
        }
        guard let origin = request.headers[.origin]?.lowercased() else { return true }
        if trustedOrigins.contains(origin) { return true }
        // "null" (sandboxed frames, some redirects) never matches a host.
        guard let host = Self.hostAndPort(ofOrigin: origin),
            let requestHost = request.head.authority?.lowercased()
        else { return false }
        return host == requestHost
    }

    /// `https://example.com:8443` → `example.com:8443`. The scheme is not
    /// compared: a TLS-terminating proxy makes the server see http either way.
    public static func hostAndPort(ofOrigin origin: String) -> String? {
        guard let separator = origin.range(of: "://") else { return nil }
        let rest = origin[separator.upperBound...]
        guard !rest.isEmpty, !rest.contains("/") else { return nil }
        return String(rest)
    }
}
