/// Who is on the other end of a request, as far as the account features
/// need to know: the address the throttle counts by and the session list
/// shows, and the browser, summarised. Built by
/// ``Authentication/client(of:context:)``; `unknown` where there is no
/// request (a command line).
public struct Client: Sendable, Equatable {
    /// The client's address: the socket peer, or behind a trusted proxy the
    /// address the proxy saw (``TrustedProxies``).
    public var address: IPAddress?
    /// The `User-Agent` header, cut to 512 bytes.
    public var userAgent: String?

    public static let unknown = Client(address: nil, userAgent: nil)

    /// Longer User-Agents are cut here: they are stored with each session.
    static let userAgentLimit = 512

    public init(address: IPAddress?, userAgent: String?) {
        self.address = address
        self.userAgent = userAgent.map { String($0.utf8.prefix(Self.userAgentLimit)) ?? String($0.prefix(Self.userAgentLimit / 4)) }
    }

    /// "Firefox on Linux": what the session list and the security log show.
    public var browser: String { BrowserSummary(userAgent: userAgent).description }
}
