import Crypto
import Foundation
import Hummingbird
import Logging

/// The one web type that touches session cookies: it resumes sessions, logs
/// users in and out, and knows where to send people. Handlers call ``logIn``
/// and ``logOut``; they never set a session cookie themselves.
public struct Authentication: Sendable {
    public let store: any Store
    public let policy: SessionPolicy
    public let cookies: CookieSettings
    /// Where guests are sent to sign in.
    public let loginPath: String
    /// Where signed-in users land by default.
    public let homePath: String
    let csrf: CSRFTokens
    let clock: @Sendable () -> Date
    let logger: Logger?

    /// The name the CSRF signing key is shared under in the store.
    static let csrfKeyName = "csrf-hmac-sha256-v1"

    /// Reads (or, on first start, creates) the signing key shared by every
    /// instance on this store.
    public static func make(
        store: any Store, policy: SessionPolicy = SessionPolicy(), cookies: CookieSettings = CookieSettings(),
        loginPath: String = "/login", homePath: String = "/dashboard", clock: @escaping @Sendable () -> Date = Date.init,
        logger: Logger? = nil
    ) async throws -> Authentication {
        let key = try await store.sharedSecret(named: csrfKeyName, candidate: SecureRandom.bytes(32))
        return Authentication(
            store: store, policy: policy, cookies: cookies, loginPath: loginPath, homePath: homePath,
            csrf: CSRFTokens(key: SymmetricKey(data: key)), clock: clock, logger: logger)
    }

    // MARK: resuming

    /// Who the request's session cookie belongs to. One indexed read; a write
    /// only to refresh `last_seen_at` once per ``SessionPolicy/lastSeenResolution``
    /// or to delete a session that has just expired.
    func resume(_ request: Request) async throws -> AuthState {
        var state = AuthState()
        guard let value = request.cookieValue(cookies.sessionName), !value.isEmpty else { return state }
        guard let token = SessionToken(cookieValue: value) else {
            state.sessionEnded = true  // garbage: a guest, and the cookie goes
            return state
        }
        state.presentedToken = token
        let digest = token.digest
        guard let (session, user) = try await store.session(digest: digest) else {
            state.sessionEnded = true
            return state
        }
        let now = clock()
        if policy.hasExpired(session, at: now) {
            try await store.deleteSession(digest: digest)
            state.sessionEnded = true
            state.sessionExpired = true
            return state
        }
        if now.timeIntervalSince(session.lastSeenAt) >= policy.lastSeenResolution {
            // Best effort: a write that can't happen now (a lock held by
            // another process) must not cost the visitor their page; the next
            // view tries again.
            do {
                try await store.touchSession(digest: digest, lastSeenAt: now)
            } catch {
                logger?.warning("could not refresh last_seen_at: \(error)")
            }
        }
        state.user = user
        state.session = session
        return state
    }

    // MARK: the verbs

    /// Signs `user` in on this browser and redirects to `destination`.
    ///
    /// Always a brand-new token (ASVS 3.2.1: new session token on
    /// authentication), and any session the browser had is deleted, so a token
    /// planted before login (session fixation) is worthless afterwards. The
    /// CSRF token changes with it: it is derived from the session.
    public func logIn<Context: LithRequestContext>(
        _ user: User, rememberMe: Bool, redirectTo destination: String, request: Request, context: Context
    ) async throws -> Response {
        if let previous = context.auth.presentedToken {
            try await store.deleteSession(digest: previous.digest)
        }
        let token = try await startSession(
            for: user, rememberMe: rememberMe,
            userAgent: request.headers[.userAgent].map { String($0.prefix(512)) }, ipAddress: context.clientAddress)
        var response = Response.redirect(to: destination, type: .normal)
        response.addCookie(sessionCookie(token, rememberMe: rememberMe))
        // The guest CSRF token has done its job; the session now binds CSRF.
        response.addCookie(cookies.expired(cookies.csrfName))
        return response
    }

    /// Stores a new session for `user` and returns its token: the part of
    /// ``logIn`` that doesn't need a request (tests use it to sign in without
    /// the form).
    public func startSession(for user: User, rememberMe: Bool, userAgent: String? = nil, ipAddress: String? = nil) async throws -> SessionToken {
        let token = SessionToken.generate()
        let now = clock()
        try await store.insertSession(
            SessionRecord(
                tokenDigest: token.digest, userID: user.id, createdAt: now, lastSeenAt: now,
                expiresAt: now.addingTimeInterval(policy.lifetime(rememberMe: rememberMe)),
                idleTimeout: policy.idle(rememberMe: rememberMe), rememberMe: rememberMe,
                userAgent: userAgent, ipAddress: ipAddress))
        return token
    }

    /// Remembered sessions outlive the browser; others end when it closes.
    public func sessionCookie(_ token: SessionToken, rememberMe: Bool) -> SetCookie {
        cookies.cookie(cookies.sessionName, value: token.cookieValue, maxAge: rememberMe ? Int(policy.rememberMeLifetime) : nil)
    }

    /// Ends the browser's session on the server — the row is deleted, so the
    /// old cookie replayed later is a guest — clears the cookie, and sends the
    /// browser to the login page with a "logged out" message.
    public func logOut<Context: LithRequestContext>(request: Request, context: Context) async throws -> Response {
        if let token = context.auth.presentedToken {
            try await store.deleteSession(digest: token.digest)
        }
        var response = Response.redirect(to: loginPath, type: .normal)
        response.addCookie(cookies.expired(cookies.sessionName))
        if context.auth.isSignedIn {
            response.addCookie(cookies.flash(.loggedOut))
        }
        return response
    }

    /// `/login?next=<path and query>`: the page to come back to after signing in.
    public func loginRedirect(returningTo request: Request) -> Response {
        var target = request.uri.path
        if let query = request.uri.query, !query.isEmpty { target += "?" + query }
        return Response.redirect(to: loginPath + "?next=" + target.percentEncodedForQuery(), type: .found)
    }
}
