import HTTPTypes
import Hummingbird

/// The second wall against cross-site requests: what the browser itself says
/// about where a request came from. Browsers send `Sec-Fetch-Site` and
/// `Origin` on form POSTs and scripts can't forge them; their absence
/// (old browsers, command-line clients) leaves the token as the only check.
///
/// An `Origin` must match the site's own origin in scheme, host and port:
/// `http://login.example.com` is another origin than the https site, and a
/// page served over plain http (on a hostile network, say) must not be able
/// to post to it.
public struct OriginCheck: Sendable {
    /// Origins allowed besides the site's own, e.g. `https://example.com`
    /// when a proxy rewrites the Host header.
    public let trustedOrigins: Set<String>
    /// The site's own origin, when configured; otherwise it is taken from
    /// the request's Host (which ``AllowedHosts`` has checked) and the scheme
    /// the site is served with.
    public let publicURL: PublicURL?

    public init(trustedOrigins: Set<String> = [], publicURL: PublicURL? = nil) {
        self.trustedOrigins = Set(trustedOrigins.compactMap(Self.normalised))
        self.publicURL = publicURL
    }

    /// Whether the browser's own headers allow `request`; `https` says which
    /// scheme the site is served with when no public URL says so.
    func allows(_ request: Request, https: Bool) -> Bool {
        if let site = request.headers[.secFetchSite]?.lowercased(), site != "same-origin", site != "none" {
            return false
        }
        guard let origin = request.headers[.origin] else { return true }
        // "null" (sandboxed frames, some redirects) never matches.
        guard let presented = Self.normalised(origin) else { return false }
        if trustedOrigins.contains(presented) { return true }
        if let publicURL { return presented == publicURL.origin }
        guard let authority = request.head.authority, let host = HostHeader(authority) else { return false }
        return presented == PublicURL.origin(scheme: https ? "https" : "http", name: host.name, port: host.port)
    }

    /// `HTTPS://Example.com:443` → `https://example.com`; `nil` for anything
    /// that isn't an http(s) origin (`null`, a path, credentials).
    public static func normalised(_ origin: String) -> String? {
        guard !origin.hasSuffix("/"), let url = try? PublicURL(origin) else { return nil }
        return url.origin
    }
}
