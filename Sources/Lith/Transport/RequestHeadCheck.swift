import NIOHTTP1

/// What a request head must satisfy before anything of Lith's sees it.
enum RequestHeadCheck {
    /// Why `head` is refused, as (status, what the client is told, what is
    /// logged), or `nil` when it may be served.
    static func problem(with head: HTTPRequestHead, allowedHosts: AllowedHosts) -> (HTTPResponseStatus, String, String)? {
        // Lith serves no other protocol. SwiftNIO's decoder stops parsing
        // after an upgrade or CONNECT request and buffers whatever follows,
        // so such a connection must be answered and closed, never kept.
        if head.method == .CONNECT {
            return (.notImplemented, "This server is not a proxy.", "CONNECT request")
        }
        if head.headers.contains(name: "upgrade") {
            return (.badRequest, "This server does not switch protocols.", "Upgrade request")
        }
        // Origin-form only (`/path?query`): an absolute URL in the request
        // line would name a host of its own beside the Host header.
        guard head.uri.utf8.first == UInt8(ascii: "/") || (head.uri == "*" && head.method == .OPTIONS) else {
            return (.badRequest, "The request target must be a path.", "request target '\(head.uri.logSafe)'")
        }
        // RFC 9112 §3.2: exactly one valid Host in HTTP/1.1; HTTP/1.0 may omit it.
        let hosts = head.headers["host"]
        guard hosts.count == 1 || (hosts.isEmpty && (head.version.major, head.version.minor) < (1, 1)) else {
            return (.badRequest, "The request needs exactly one Host header.", "\(hosts.count) Host headers")
        }
        if let value = hosts.first {
            guard let host = HostHeader(value) else {
                return (.badRequest, "The Host header is not a valid host name.", "invalid Host '\(value.logSafe)'")
            }
            guard allowedHosts.allows(host) else {
                return (.badRequest, "This site is not served under that name.", "Host '\(value.logSafe)' is not an allowed host")
            }
        }
        return nil
    }
}
