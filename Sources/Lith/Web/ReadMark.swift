import NIOConcurrencyHelpers

/// Records whether a handler read a value, for middleware that acts only on
/// values a response used: a guest's new CSRF nonce is set as a cookie only
/// with a response that embeds the token (not with stylesheets or health
/// checks), and a flash message is cleared only once a page has shown it.
final class ReadMark: Sendable {
    private let read = NIOLockedValueBox(false)

    func mark() { read.withLockedValue { $0 = true } }
    var wasRead: Bool { read.withLockedValue { $0 } }
}
