import Hummingbird
import NIOCore

/// A request context that carries what Lith learns about a request. Conform
/// your own context to it to use Lith, or use ``BasicLithRequestContext``.
public protocol LithRequestContext: RequestContext {
    /// Who is signed in, the CSRF token, the flash (set by Lith's middleware).
    var auth: AuthState { get set }
    /// The submitted form of a POST, already checked for CSRF; empty for
    /// other requests (set by Lith's middleware).
    var form: FormData { get set }
    /// The client's address, recorded with a session for the user's own review.
    var clientAddress: String? { get }
}

extension LithRequestContext {
    public var clientAddress: String? { nil }
}

/// A ready-made ``LithRequestContext`` (like hummingbird-auth's
/// `BasicAuthRequestContext`): Lith's state, the peer's address, and a
/// 64 KiB cap on bodies — no login form comes near it; anything bigger is a
/// 413, not memory pressure.
public struct BasicLithRequestContext: LithRequestContext {
    public var coreContext: CoreRequestContextStorage
    public var auth = AuthState()
    public var form = FormData()
    /// Kept to read the peer's address only when a session is made, not on
    /// every request (reading it takes a lock and formats a string).
    private let channel: any Channel

    public init(source: Source) {
        self.coreContext = .init(source: source)
        self.channel = source.channel
    }

    public var clientAddress: String? { channel.remoteAddress?.ipAddress }

    public var maxUploadSize: Int { 64 * 1024 }
}
