/// How long and how much a client may take before Lith stops waiting for it.
///
/// Every limit is on by default: `lith serve` faces the internet without a
/// proxy, and a server that waits forever on a silent socket can be taken down
/// by anyone who opens enough of them (slowloris, idle floods). The defaults
/// follow nginx's, shortened where a login form needs far less.
public struct ConnectionLimits: Sendable, Equatable {
    /// A request's head (request line and headers) must arrive within this
    /// time of its first byte, and a new connection must send its first
    /// request within it. nginx's `client_header_timeout` is 60 s; a browser
    /// sends a head in one packet, so 10 s only ever cuts off slowloris.
    public var headTimeout: Duration = .seconds(10)
    /// A request's whole body must arrive within this time of its head: a
    /// 64 KiB form then needs 2 KiB/s, far below any real client, while a
    /// client trickling a byte every few seconds can't hold a connection
    /// (nginx's `client_body_timeout` bounds only the gap between reads).
    public var bodyTimeout: Duration = .seconds(30)
    /// A keep-alive connection with no request in progress is closed after
    /// this long. nginx's `keepalive_timeout` is 75 s; browsers keep
    /// connections for 60–300 s and reconnect when one is gone.
    public var idleTimeout: Duration = .seconds(60)
    /// Connections open at once. At the limit a new connection replaces the
    /// one that has waited longest without a request (as nginx reuses idle
    /// keep-alive connections), or gets a 503 if every one is mid-request,
    /// so idle sockets can't crowd out a real visitor. Keep it below the
    /// process's descriptor limit: `lith serve` derives it from that.
    public var maximumConnections: Int = 4096
    /// The request line and headers together, in bytes. 32 KiB is nginx's
    /// default (4 × 8 KiB large header buffers); Lith's cookies take < 200 B.
    public var maximumHeadBytes: Int = 32 * 1024
    /// Header lines per request: browsers send about 20.
    public var maximumHeaderCount: Int = 100
    /// Everything one request may send on the wire, framing included: a
    /// chunked body's size lines and extensions count here, so megabytes of
    /// chunk extensions can't slip past the 64 KiB body limit.
    public var maximumRequestBytes: Int = 128 * 1024
    /// On SIGTERM, requests in progress get this long to finish before their
    /// connections are closed; well below systemd's 90 s default
    /// `TimeoutStopSec` and the 30 s of Lith's example unit.
    public var shutdownGracePeriod: Duration = .seconds(10)

    public init() {}
}
