import Hummingbird
import NIOCore

/// What Lith learns about a request before the handler runs: who is signed in,
/// the CSRF token for forms, the flash message, and the submitted form.
public struct AuthState: Sendable {
    /// The signed-in user, or `nil` for a guest.
    public internal(set) var user: User?
    /// The session the user is signed in with.
    public internal(set) var session: SessionRecord?
    /// The token to embed in every form this response renders. Reading it
    /// is what makes a guest's CSRF cookie be set on the response.
    public var csrfToken: String {
        csrfRead?.mark()
        return issuedCSRFToken
    }
    var issuedCSRFToken = ""
    /// Present for a guest whose nonce was minted on this request.
    var csrfRead: ReadMark?

    /// A one-time message carried over from the previous response; reading
    /// it counts as showing it.
    public var flash: Flash? {
        flashRead?.mark()
        return pendingFlash
    }
    var pendingFlash: Flash?
    var flashRead: ReadMark?
    /// The parsed body of a form POST (already checked for CSRF).
    public internal(set) var form: FormData?
    /// The session token the browser sent, if it was well formed.
    var presentedToken: SessionToken?
    /// Set when the browser's session cookie named no live session.
    var sessionEnded = false
    /// Set when that session had run out of time (rather than never existing).
    var sessionExpired = false

    public init() {}

    public var isSignedIn: Bool { user != nil }
}

/// A request context that carries Lith's ``AuthState``. Conform your own
/// context to it to use Lith's middleware and guards.
public protocol LithRequestContext: RequestContext {
    var auth: AuthState { get set }
    /// The peer's address, recorded with a session for the user's own review.
    var clientAddress: String? { get }
}

extension LithRequestContext {
    public var clientAddress: String? { nil }
}

/// The request context of the Lith app: Lith's state, and a 64 KiB cap on bodies
/// (no Lith form comes near it; anything bigger is a 413, not memory pressure).
public struct AppRequestContext: LithRequestContext {
    public var coreContext: CoreRequestContextStorage
    public var auth = AuthState()
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
