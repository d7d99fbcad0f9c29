import Hummingbird
import NIOConcurrencyHelpers

/// What Lith knows about a request before its handler runs — who is signed
/// in, with which session — and what the handler needs for its pages: the
/// CSRF token for forms and the flash message waiting to be shown.
public struct AuthState: Sendable {
    /// The signed-in user, or `nil` for a guest. Handlers behind a
    /// signed-in route use ``requireUser()``.
    public internal(set) var user: User?
    /// The session the user is signed in with.
    public internal(set) var session: SessionRecord?
    /// The session token the browser sent, if it was well formed.
    var presentedToken: SessionToken?
    /// The browser's session cookie named no live session: it goes.
    var sessionEnded = false
    /// ...because that session had run out of time (rather than never existing).
    var sessionExpired = false
    /// What this request decided as it went; shared by every copy of the
    /// state. Made by ``Authentication`` when a request comes in.
    let record: RequestRecord

    init(record: RequestRecord) {
        self.record = record
    }

    /// A guest with no Lith middleware behind it: a context's starting value.
    public init() {
        self.record = .detached
    }

    public var isSignedIn: Bool { user != nil }

    /// The signed-in user; throws 401 for a guest (hummingbird-auth's
    /// `requireIdentity()`). Behind ``Routes``' signed-in routes a guest never
    /// gets this far: they are sent to log in first.
    public func requireUser() throws -> User {
        guard let user else { throw HTTPError(.unauthorized) }
        return user
    }

    /// The user and their session; throws 401 for a guest.
    public func requireSession() throws -> (User, SessionRecord) {
        guard let user, let session else { throw HTTPError(.unauthorized) }
        return (user, session)
    }

    /// The token every form of this response carries in its `csrf_token`
    /// field. Made when first asked for: a response without a form (a
    /// stylesheet, a health check) costs no HMAC and, for a guest, sets no cookie.
    public var csrfToken: String { record.csrfToken() }

    /// The one-time message carried over from the previous response; reading
    /// it counts as showing it, and its cookie is cleared.
    public var flash: Flash? { record.showFlash() }
}

/// One request's decisions, in one box shared by every copy of its
/// ``AuthState`` (the middleware's and the handler's): the CSRF token once
/// made, whether the flash was shown, which cookies a verb has set. The
/// middleware reads them when the handler is done, instead of scanning the
/// response's headers for them.
final class RequestRecord: Sendable {
    /// What a CSRF token is bound to for this request.
    enum CSRFBinding: Sendable {
        case session(SessionToken)
        /// A guest's nonce from their cookie, or `nil` to mint one when a form needs it.
        case guest(nonce: String?)
    }

    struct Decisions: Sendable {
        var csrfToken: String?
        /// A guest nonce minted for this response, to be set as a cookie.
        var mintedNonce: String?
        var flashShown = false
        /// A verb set the session cookie (logIn) or cleared it (logOut).
        var sessionCookieSet = false
        /// A verb set the flash cookie.
        var flashCookieSet = false
        /// A verb cleared the guest CSRF cookie.
        var csrfCookieSet = false
    }

    /// For a context Lith's middleware hasn't seen: no token can be made,
    /// and what is noted goes nowhere a response reads.
    static let detached = RequestRecord(csrf: nil, binding: .guest(nonce: nil), pendingFlash: nil, carriedFlashCookie: false)

    private let csrf: CSRFTokens?
    let binding: CSRFBinding
    /// The flash the browser's cookie named, if any.
    let pendingFlash: Flash?
    /// Whether the browser sent a flash cookie at all (known or not: it goes once read).
    let carriedFlashCookie: Bool
    let decisions = NIOLockedValueBox(Decisions())

    init(csrf: CSRFTokens?, binding: CSRFBinding, pendingFlash: Flash?, carriedFlashCookie: Bool) {
        self.csrf = csrf
        self.binding = binding
        self.pendingFlash = pendingFlash
        self.carriedFlashCookie = carriedFlashCookie
    }

    /// The token for this browser, made once (a guest without a nonce gets one minted).
    func csrfToken() -> String {
        guard let csrf else { return "" }
        return decisions.withLockedValue { decisions in
            if let token = decisions.csrfToken { return token }
            let token: String
            switch binding {
            case .session(let session):
                token = csrf.token(forSession: session)
            case .guest(let nonce?):
                token = csrf.token(forGuestNonce: nonce)
            case .guest(nil):
                let nonce = CSRFTokens.newGuestNonce()
                decisions.mintedNonce = nonce
                token = csrf.token(forGuestNonce: nonce)
            }
            decisions.csrfToken = token
            return token
        }
    }

    func showFlash() -> Flash? {
        guard let pendingFlash else { return nil }
        decisions.withLockedValue { $0.flashShown = true }
        return pendingFlash
    }

    func note(_ change: (inout Decisions) -> Void) {
        decisions.withLockedValue(change)
    }

    var current: Decisions { decisions.withLockedValue { $0 } }
}
