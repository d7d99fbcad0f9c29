import NIOConcurrencyHelpers

/// Records whether a handler read the CSRF token of a guest whose nonce is new,
/// so the nonce cookie goes out exactly with responses that embed a token —
/// and not with stylesheets or health checks.
final class CSRFTokenUse: Sendable {
    private let used = NIOLockedValueBox(false)

    func markUsed() { used.withLockedValue { $0 = true } }
    var wasUsed: Bool { used.withLockedValue { $0 } }
}
