import Crypto
import Foundation
import Hummingbird
import Logging

/// The session lifecycle, in one place: the one web type that touches
/// session cookies, and the only way in or out of a session.
///
/// Per request, in this order (``LithMiddleware`` runs the steps around the handler):
///
/// 1. **resume** — who is this? The session cookie's token, hashed, is one
///    indexed read; an expired or unknown session makes a guest.
/// 2. **guard** — the route's rule, declared with ``Routes``: ``requireUser``
///    sends guests to log in, ``redirectIfSignedIn`` sends users home.
/// 3. **CSRF** — is this state-changing request really this browser's?
///    (``CSRFGate``; a refused request changes nothing.)
/// 4. **flash** — the message the last response left for this one.
/// 5. **handler** — may call ``logIn(_:rememberMe:redirectTo:request:context:)``,
///    ``logOut(request:context:flash:)``, ``logOutEverywhere(keepingThisBrowser:request:context:redirectTo:)``,
///    ``endSession(_:request:context:redirectTo:)``, ``endOtherSessions(context:)``
///    or ``flash(_:on:context:)``; each records what it decided, and what
///    happened to the account goes to the security log.
/// 6. **finish** — clears a cookie that named no live session, keeps a CSRF
///    nonce minted for a form, clears a flash that was shown.
public struct Authentication: Sendable {
    let store: any SessionStore
    public let sessionPolicy: SessionPolicy
    public let cookies: CookieSettings
    /// Where guests are sent to sign in.
    public let loginPath: String
    /// Where signed-in users land by default.
    public let homePath: String
    /// Where the logout form posts: a guest posting it (a second tab's stale
    /// form) is sent to log in instead of refused.
    public let logoutPath: String
    let csrf: CSRFTokens
    let flashes: FlashRegistry
    /// Guest-only routes' paths, as ``Routes`` declares them.
    let guestOnlyPaths: PathSet
    /// Proxies whose forwarding header names the client (``client(of:context:)``).
    public let trustedProxies: TrustedProxies
    let proxyWarning: UntrustedProxyWarning
    let securityLog: any SecurityLog
    let clock: @Sendable () -> Date
    let logger: Logger?

    /// The form field every form carries its CSRF token in
    /// (``AuthState/csrfToken``); scripts may send an `X-CSRF-Token` header instead.
    public static let csrfFieldName = "csrf_token"

    /// The name the CSRF signing key is shared under in the store.
    static let csrfKeyName = "csrf-hmac-sha256-v1"

    /// Reads (or, on first start, creates) the CSRF signing key shared by
    /// every instance on this store.
    ///
    /// - Parameters:
    ///   - flashes: the app's own flash messages, besides Lith's.
    ///   - trustedProxies: the proxies in front of the app, if any: only
    ///     their forwarding headers are believed.
    ///   - securityLog: where session events go; by default the store's own log.
    public init(
        store: any SessionStore & SecretStore & SecurityEventStore,
        sessionPolicy: SessionPolicy = SessionPolicy(),
        cookies: CookieSettings = CookieSettings(),
        loginPath: String = "/login",
        homePath: String = "/dashboard",
        logoutPath: String = "/logout",
        flashes: [Flash] = [],
        trustedProxies: TrustedProxies = .none,
        securityLog: (any SecurityLog)? = nil,
        clock: @escaping @Sendable () -> Date = Date.init,
        logger: Logger? = nil
    ) async throws {
        let key = try await store.sharedSecret(named: Self.csrfKeyName, candidate: SecureRandom.bytes(32))
        self.store = store
        self.sessionPolicy = sessionPolicy
        self.cookies = cookies
        self.loginPath = loginPath
        self.homePath = homePath
        self.logoutPath = logoutPath
        self.csrf = CSRFTokens(key: SymmetricKey(data: key), clock: clock)
        self.flashes = FlashRegistry(flashes)
        self.guestOnlyPaths = PathSet()
        self.trustedProxies = trustedProxies
        self.proxyWarning = UntrustedProxyWarning(trustedProxies: trustedProxies, logger: logger)
        self.securityLog = securityLog ?? StoredSecurityLog(store: store, logger: logger ?? Logger(label: "lith"))
        self.clock = clock
        self.logger = logger
    }

    /// Who sent `request`: the socket peer, or behind a trusted proxy the
    /// client it names, and their browser. Worked out only when asked for
    /// (a login, a signup, the session list), never on a plain page view.
    public func client<Context: LithRequestContext>(of request: Request, context: Context) -> Client {
        let peer = context.clientAddress.flatMap { IPAddress($0) }
        let forwarded = request.headers[values: trustedProxies.header.fieldName]
        proxyWarning.observe(peer: peer, forwardedHeaderPresent: !forwarded.isEmpty)
        return Client(
            address: trustedProxies.clientAddress(peer: peer, headerValues: forwarded),
            userAgent: request.headers[.userAgent]
        )
    }

    // MARK: 1. resume

    /// Who the request's session cookie belongs to. One indexed read; a write
    /// only to refresh `last_seen_at` once per ``SessionPolicy/lastSeenResolution``
    /// or to delete a session that has just expired.
    func resume(_ request: Request) async throws -> AuthState {
        let flashCookie = request.cookieValue(cookies.flashName)
        let pendingFlash = flashCookie.flatMap { flashes.flash(named: $0) }
        guard let value = request.cookieValue(cookies.sessionName), !value.isEmpty else {
            return guest(request, pendingFlash: pendingFlash, carriedFlash: flashCookie != nil)
        }
        guard let token = SessionToken(cookieValue: value) else {
            var state = guest(request, pendingFlash: pendingFlash, carriedFlash: flashCookie != nil)
            state.sessionEnded = true  // garbage: a guest, and the cookie goes
            return state
        }
        var state = AuthState(
            record: RequestRecord(csrf: csrf, binding: .session(token), pendingFlash: pendingFlash, carriedFlashCookie: flashCookie != nil)
        )
        state.presentedToken = token
        let digest = token.digest
        guard let (session, user) = try await store.session(digest: digest) else {
            return ended(state, request, expired: false, pendingFlash: pendingFlash, carriedFlash: flashCookie != nil)
        }
        let now = clock()
        if sessionPolicy.hasExpired(session, at: now) {
            try await store.deleteSession(digest: digest)
            await securityLog.record(
                SecurityEvent(.sessionExpired, at: now, userID: user.id, email: user.email, sessionID: session.id)
            )
            return ended(state, request, expired: true, pendingFlash: pendingFlash, carriedFlash: flashCookie != nil)
        }
        if now.timeIntervalSince(session.lastSeenAt) >= sessionPolicy.lastSeenResolution {
            // Best effort: a write that can't happen now (a lock held by
            // another process) must not cost the visitor their page; the next
            // view tries again.
            do {
                try await store.touchSession(digest: digest, lastSeenAt: now)
            } catch {
                logger?.warning("could not refresh last_seen_at", metadata: ["error": "\(error)"])
            }
        }
        state.user = user
        state.session = session
        return state
    }

    /// A guest: their CSRF token is bound to the nonce in their own cookie
    /// (a guest's page view writes nothing to the database).
    private func guest(_ request: Request, pendingFlash: Flash?, carriedFlash: Bool) -> AuthState {
        let nonce = request.cookieValue(cookies.csrfName).map(String.init).flatMap { CSRFTokens.isWellFormedNonce($0) ? $0 : nil }
        return AuthState(
            record: RequestRecord(csrf: csrf, binding: .guest(nonce: nonce), pendingFlash: pendingFlash, carriedFlashCookie: carriedFlash)
        )
    }

    /// The cookie named a session that is gone: a guest, the token still
    /// presented (so ``logIn`` can delete it), the cookie to be cleared.
    private func ended(_ state: AuthState, _ request: Request, expired: Bool, pendingFlash: Flash?, carriedFlash: Bool) -> AuthState {
        var guest = guest(request, pendingFlash: pendingFlash, carriedFlash: carriedFlash)
        guest.presentedToken = state.presentedToken
        guest.sessionEnded = true
        guest.sessionExpired = expired
        return guest
    }

    // MARK: 2. guards

    /// `nil` for a signed-in user; for a guest, the login page with `next`
    /// set to the page they asked for (Django's `login_required`, Rails'
    /// `require_authentication`), and "session expired" if theirs just did.
    public func requireUser(_ request: Request, _ auth: AuthState) -> Response? {
        guard !auth.isSignedIn else { return nil }
        var response = loginRedirect(returningTo: request)
        if auth.sessionExpired { setFlash(.sessionExpired, on: &response, auth) }
        return response
    }

    /// `nil` for a guest; a signed-in user is sent home from guest-only
    /// pages (Phoenix's `redirect_if_user_is_authenticated`).
    public func redirectIfSignedIn(_ request: Request, _ auth: AuthState) -> Response? {
        guard auth.isSignedIn else { return nil }
        return Response.redirect(to: homePath, type: request.method.isSafe ? .found : .normal)
    }

    /// For a request the CSRF gate refused: the same redirect the route's
    /// guard would have given if the request changes nothing but that — a
    /// signed-in user posting a guest-only form from a stale tab goes home,
    /// a guest posting logout goes to log in — or `nil` for a real refusal.
    func harmlessRedirect(for request: Request, _ auth: AuthState) -> Response? {
        let path = request.uri.path
        if auth.isSignedIn, guestOnlyPaths.contains(path) { return redirectIfSignedIn(request, auth) }
        if !auth.isSignedIn, path == logoutPath { return Response.redirect(to: loginPath, type: .normal) }
        return nil
    }

    // MARK: 5. the verbs

    /// Signs `user` in on this browser and redirects to `destination` (the
    /// home path, or a same-site path: anything else is refused by the same
    /// gate as `next`, ``SafeRedirect``).
    ///
    /// Always a brand-new token (ASVS 3.2.1: new session token on
    /// authentication), and any session the browser had is deleted, so a token
    /// planted before login (session fixation) is worthless afterwards. The
    /// CSRF token changes with it: it is derived from the session.
    public func logIn<Context: LithRequestContext>(
        _ user: User,
        rememberMe: Bool = false,
        redirectTo destination: String? = nil,
        request: Request,
        context: Context
    ) async throws -> Response {
        if let previous = context.auth.presentedToken {
            try await store.deleteSession(digest: previous.digest)
        }
        let client = client(of: request, context: context)
        let (token, session) = try await startSession(for: user, rememberMe: rememberMe, client: client)
        await securityLog.record(SecurityEvent(.loginSucceeded, at: clock(), user: user, client: client, sessionID: session.id))
        return signedIn(token, rememberMe: rememberMe, redirectTo: SafeRedirect.path(destination) ?? homePath, context: context)
    }

    /// The response that hands this browser a new session: its cookie, and
    /// the guest CSRF cookie cleared (the session binds CSRF from now on).
    private func signedIn<Context: LithRequestContext>(
        _ token: SessionToken,
        rememberMe: Bool,
        redirectTo destination: String,
        context: Context
    ) -> Response {
        var response = Response.redirect(to: destination, type: .normal)
        response.addCookie(sessionCookie(token, rememberMe: rememberMe))
        response.addCookie(cookies.expired(cookies.csrfName))
        context.auth.record.note {
            $0.sessionCookieSet = true
            $0.csrfCookieSet = true
        }
        return response
    }

    /// Ends the browser's session on the server — the row is deleted, so the
    /// old cookie replayed later is a guest — clears the cookie, and sends the
    /// browser to the login page with `flash` ("logged out" by default).
    public func logOut<Context: LithRequestContext>(request: Request, context: Context, flash: Flash = .loggedOut) async throws -> Response {
        if let token = context.auth.presentedToken {
            try await store.deleteSession(digest: token.digest)
        }
        if let user = context.auth.user, flash == .loggedOut {
            await securityLog.record(
                SecurityEvent(.logout, at: clock(), user: user, client: client(of: request, context: context), sessionID: context.auth.session?.id)
            )
        }
        return loggedOut(context: context, flash: flash)
    }

    /// The response for a browser whose session is gone: cookie cleared, to
    /// the login page with `flash` (for a signed-in user).
    private func loggedOut<Context: LithRequestContext>(context: Context, flash: Flash) -> Response {
        var response = Response.redirect(to: loginPath, type: .normal)
        response.addCookie(cookies.expired(cookies.sessionName))
        context.auth.record.note { $0.sessionCookieSet = true }
        if context.auth.isSignedIn { setFlash(flash, on: &response, context.auth) }
        return response
    }

    /// After a password change: every session of the user ends — a thief's
    /// included — and, if `keepingThisBrowser`, this browser gets a brand-new
    /// session (and so a new CSRF token) in place of its old one (OWASP ASVS
    /// 3.3.3; Django's `update_session_auth_hash` keeps only the current
    /// session too). Otherwise this browser is signed out as well.
    public func logOutEverywhere<Context: LithRequestContext>(
        keepingThisBrowser: Bool,
        request: Request,
        context: Context,
        redirectTo destination: String? = nil
    ) async throws -> Response {
        let (user, session) = try context.auth.requireSession()
        try await store.deleteSessions(userID: user.id)
        guard keepingThisBrowser else { return loggedOut(context: context, flash: .loggedOut) }
        let (token, _) = try await startSession(for: user, rememberMe: session.rememberMe, client: client(of: request, context: context))
        return signedIn(token, rememberMe: session.rememberMe, redirectTo: SafeRedirect.path(destination) ?? homePath, context: context)
    }

    /// Ends one of the signed-in user's sessions, named by its public id
    /// (from ``sessions(of:)``): a lost laptop signed out from here. Another
    /// user's session id ends nothing. Naming this browser's own session is
    /// logging out. Then back to `destination`.
    public func endSession<Context: LithRequestContext>(
        _ id: SessionID,
        request: Request,
        context: Context,
        redirectTo destination: String
    ) async throws -> Response {
        let (user, session) = try context.auth.requireSession()
        if id == session.id { return try await logOut(request: request, context: context) }
        if try await store.deleteSession(id: id, userID: user.id) {
            await securityLog.record(
                SecurityEvent(.sessionRevoked, at: clock(), user: user, client: client(of: request, context: context), sessionID: id)
            )
        }
        return Response.redirect(to: SafeRedirect.path(destination) ?? homePath, type: .normal)
    }

    /// Ends every session of the signed-in user but this browser's; returns how many ended.
    @discardableResult
    public func endOtherSessions<Context: LithRequestContext>(request: Request, context: Context) async throws -> Int {
        let (user, session) = try context.auth.requireSession()
        let ended = try await store.deleteSessions(userID: user.id, except: session.tokenDigest)
        await securityLog.record(
            SecurityEvent(.otherSessionsRevoked, at: clock(), user: user, client: client(of: request, context: context), sessionID: session.id)
        )
        return ended
    }

    /// The user's live sessions, most recently active first.
    public func sessions(of user: User) async throws -> [SessionRecord] {
        let now = clock()
        return try await store.sessions(userID: user.id).filter { !sessionPolicy.hasExpired($0, at: now) }
    }

    /// Leaves `flash` for the next page this browser renders. The flash must
    /// be Lith's or registered when this was made (`flashes:`): only its name
    /// travels, and an unknown name would be dropped on the way back.
    public func flash<Context: LithRequestContext>(_ flash: Flash, on response: inout Response, context: Context) {
        setFlash(flash, on: &response, context.auth)
    }

    private func setFlash(_ flash: Flash, on response: inout Response, _ auth: AuthState) {
        guard flashes.contains(flash) else {
            assertionFailure("flash '\(flash.name)' is not registered with Authentication")
            logger?.error("flash is not registered with Authentication: dropped", metadata: ["flash": "\(flash.name)"])
            return
        }
        response.addCookie(cookies.cookie(cookies.flashName, value: flash.name))
        auth.record.note { $0.flashCookieSet = true }
    }

    // MARK: 6. finish

    /// After the handler: the cookies its verbs didn't set are tidied up.
    func finish(_ response: inout Response, _ auth: AuthState) {
        let decided = auth.record.current
        if auth.sessionEnded, !decided.sessionCookieSet {
            response.addCookie(cookies.expired(cookies.sessionName))
        }
        // A nonce minted for a form on this page: kept in the guest's cookie.
        if let nonce = decided.mintedNonce, !decided.csrfCookieSet {
            response.addCookie(cookies.cookie(cookies.csrfName, value: nonce))
        }
        // Shown, or not one of ours: the flash cookie goes.
        if auth.record.carriedFlashCookie, decided.flashShown || auth.record.pendingFlash == nil, !decided.flashCookieSet {
            response.addCookie(cookies.expired(cookies.flashName))
        }
    }

    // MARK: plumbing

    /// Stores a new session for `user` and returns its token: the part of
    /// ``logIn`` that doesn't need a request. Tests use it to sign in
    /// without the form; it is not a way in for apps (no rotation, no cookie).
    @_spi(Testing) public func startSession(
        for user: User,
        rememberMe: Bool = false,
        client: Client = .unknown
    ) async throws -> (SessionToken, SessionRecord) {
        let token = SessionToken.generate()
        let now = clock()
        let session = SessionRecord(
            id: SessionID.generate(),
            tokenDigest: token.digest,
            userID: user.id,
            createdAt: now,
            lastSeenAt: now,
            expiresAt: now.addingTimeInterval(sessionPolicy.lifetime(rememberMe: rememberMe)),
            idleTimeout: sessionPolicy.idle(rememberMe: rememberMe),
            rememberMe: rememberMe,
            userAgent: client.userAgent,
            ipAddress: client.address?.description
        )
        try await store.insertSession(session)
        return (token, session)
    }

    /// Remembered sessions outlive the browser; others end when it closes.
    func sessionCookie(_ token: SessionToken, rememberMe: Bool) -> SetCookie {
        cookies.cookie(cookies.sessionName, value: token.cookieValue, maxAge: rememberMe ? Int(sessionPolicy.rememberMeLifetime) : nil)
    }

    /// `/login?next=<path and query>`: the page to come back to after signing in.
    public func loginRedirect(returningTo request: Request) -> Response {
        var target = request.uri.path
        if let query = request.uri.query, !query.isEmpty { target += "?" + query }
        return Response.redirect(to: loginPath + "?next=" + target.percentEncodedForQuery(), type: .found)
    }
}
