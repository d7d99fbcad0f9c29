import Foundation

/// "Forgot your password?", with no HTTP in sight: asking for a link,
/// checking one, and setting the new password with it.
///
/// - Asking always gives the same answer in the same time, whether or not
///   the address has an account (the work is done, then the answer waits
///   until ``answerTime`` has passed), and is throttled per address asked
///   for and per client (each request can send a mail).
/// - The link carries a 256-bit ``LinkToken``; the store keeps its SHA-256.
///   It works once (``LinkTokenStore/useLink(digest:purpose:)`` deletes it),
///   for ``lifetime``, and dies when the password changes or a newer link
///   is sent.
/// - Setting the new password applies the password policy, ends every
///   session of the user, writes the security log, and mails the owner.
public struct PasswordResets: Sendable {
    public static let defaultLifetime: TimeInterval = 60 * 60

    let accounts: Accounts
    let links: MailedLinks
    let letters: ResetLetters
    public let lifetime: TimeInterval
    /// Every request for a link is answered this long after it arrived.
    let answerTime: Duration

    public init(
        accounts: Accounts,
        links: MailedLinks,
        letters: ResetLetters,
        lifetime: TimeInterval = defaultLifetime,
        answerTime: Duration = .milliseconds(250)
    ) {
        self.accounts = accounts
        self.links = links
        self.letters = letters
        self.lifetime = lifetime
        self.answerTime = answerTime
    }

    /// Why a link can't be used: the page says so and offers a new one.
    public struct LinkRefused: Error, Sendable, Equatable {
        public static let message = "This link has expired or has already been used. Ask for a new one below."
    }

    /// Sends a reset link to `email` if it has an account; the same answer
    /// and timing if not. Throws ``FieldErrors`` for a missing or malformed
    /// address and ``Throttled`` when too many links were asked for.
    public func request(email rawEmail: String, from client: Client = .unknown) async throws {
        let started = ContinuousClock.now
        let email: EmailAddress
        do { email = try EmailAddress(rawEmail) } catch { throw FieldErrors([.email: error.message]) }
        try await accounts.throttle.admitMailedLink(email: email.value, from: client.address)
        let user = try await links.store.user(email: email)
        if let user {
            try await issue(for: user) { letters.resetLink(to: email, link: $0, lifetime: lifetime) }
        }
        // Logged either way (an unknown address without a user), so both
        // answers do the same writes.
        await links.securityLog.record(SecurityEvent(.passwordResetRequested, at: links.clock(), user: user, email: email, client: client))
        // What is left of the difference (the token and the mail) is hidden
        // by answering at a fixed time.
        try? await Task.sleep(until: started + answerTime, clock: .continuous)
    }

    /// A link for `user` without mailing it: an operator reading it to
    /// someone on the phone (`lith user reset-link`). Replaces any earlier link.
    public func link(for user: User) async throws -> String {
        try await issue(for: user, letter: nil)
    }

    /// The account whose password `token` may reset, or `nil` when the link
    /// is unknown, used, expired, or older than the password. Uses nothing up.
    /// An expired link that is opened goes into the owner's security log
    /// (once a minute at most: the page may be reloaded).
    public func account(for token: LinkToken, from client: Client = .unknown) async throws -> User? {
        guard let record = try await links.store.link(digest: token.digest, purpose: .passwordReset) else { return nil }
        if record.expiresAt <= links.clock(), let owner = try await links.store.credentials(userID: record.userID)?.user {
            let event = SecurityEvent(.passwordResetExpired, at: links.clock(), user: owner, client: client)
            await links.securityLog.record(event, unlessRepeatedWithin: 60)
            return nil
        }
        return try await links.owner(of: record)
    }

    /// Sets the new password with `token`, which is used up; every session
    /// of the user ends. Throws ``FieldErrors`` (nothing used up: the person
    /// can try another password) or ``LinkRefused``.
    @discardableResult
    public func reset(
        with token: LinkToken,
        password: String,
        confirmation: String,
        from client: Client = .unknown
    ) async throws -> User {
        guard let user = try await account(for: token) else { throw LinkRefused() }
        let newPassword = try accounts.checkNewPassword(password, confirmation: confirmation, for: user)
        // Used up now: of two tabs posting at once, one gets here.
        guard let record = try await links.store.useLink(digest: token.digest, purpose: .passwordReset),
            let owner = try await links.owner(of: record), owner.id == user.id
        else { throw LinkRefused() }
        try await accounts.setPassword(of: user, to: newPassword, from: client, recordingAs: .passwordReset)
        // Whoever knew the old password is signed out everywhere.
        try await links.store.deleteSessions(userID: user.id)
        try await links.mail.send(letters.passwordChanged(to: user.email, at: links.clock()))
        return user
    }

    // MARK: helpers

    /// A new link for `user`, replacing any earlier one, mailed with `letter`.
    @discardableResult
    private func issue(for user: User, letter: ((_ link: String) -> MailMessage)?) async throws -> String {
        try await links.issue(.passwordReset, for: user, path: "/password/reset/", lifetime: lifetime, letter: letter)
    }
}
