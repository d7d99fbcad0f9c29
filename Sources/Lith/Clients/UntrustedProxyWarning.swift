import Logging
import NIOConcurrencyHelpers

/// One warning, once, when the app looks like it runs behind a proxy it
/// hasn't been told about: then every visitor seems to come from the proxy's
/// address, the throttle counts them all as one client (one typo-prone
/// office at the scale of the whole site), and the session list shows the
/// proxy. Two signs, both checked only where a client's address is worked
/// out (logins, signups), never on page views:
///
/// - a forwarding header from a loopback or private peer that isn't trusted;
/// - ``sampleSize`` clients in a row from one private address (not loopback:
///   a developer's browser on the same machine is that, proxy or not).
final class UntrustedProxyWarning: Sendable {
    /// Clients in a row from one private address before saying so.
    static let sampleSize = 100

    private struct State {
        var warned = false
        var lastPeer: IPAddress?
        var run = 0
    }

    private let state = NIOLockedValueBox(State())
    private let active: Bool
    private let logger: Logger?

    /// Silent when proxies are configured: the operator has thought about it.
    init(trustedProxies: TrustedProxies, logger: Logger?) {
        self.active = trustedProxies.isEmpty && logger != nil
        self.logger = logger
    }

    func observe(peer: IPAddress?, forwardedHeaderPresent: Bool) {
        guard active, let peer, peer.isLoopback || peer.isPrivate else { return }
        let warn = state.withLockedValue { state -> Bool in
            guard !state.warned else { return false }
            state.run = state.lastPeer == peer && !peer.isLoopback ? state.run + 1 : 1
            state.lastPeer = peer
            guard forwardedHeaderPresent || state.run >= Self.sampleSize else { return false }
            state.warned = true
            return true
        }
        if warn {
            logger?.warning(
                "every client seems to come from \(peer), a proxy: set --trusted-proxies \(peer)/\(peer.isIPv4 ? 32 : 128) (or its network) so that the login throttle and the session list see the real client addresses"
            )
        }
    }
}
