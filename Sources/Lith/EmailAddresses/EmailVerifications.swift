import Foundation

/// Proving that an account's address reaches its owner, with no HTTP in
/// sight: the link sent at signup, "resend", opening the link, and the
/// enumeration-safe signup of `required` mode.
///
/// A link carries a 256-bit ``LinkToken`` (the store keeps its SHA-256),
/// works once, for ``lifetime``, and only for the address it was sent to:
/// once the account's address changes, a link to the old one proves nothing.
public struct EmailVerifications: Sendable {
    public static let defaultLifetime: TimeInterval = 24 * 60 * 60

    public let mode: EmailVerificationMode
    let accounts: Accounts
    let links: MailedLinks
    let letters: AddressLetters
    public let lifetime: TimeInterval
    /// Guest requests for a link are answered this long after they arrived.
    let answerTime: Duration

    public init(
        mode: EmailVerificationMode,
        accounts: Accounts,
        links: MailedLinks,
        letters: AddressLetters,
        lifetime: TimeInterval = defaultLifetime,
        answerTime: Duration = .milliseconds(250)
    ) {
        self.mode = mode
        self.accounts = accounts
        self.links = links
        self.letters = letters
        self.lifetime = lifetime
        self.answerTime = answerTime
    }

    /// Whether `user` may sign in: in `required` mode only once verified.
    public func maySignIn(_ user: User) -> Bool {
        mode != .required || user.isEmailVerified
    }

    /// Whether `user` should be asked to open their link (the banner).
    public func asksToVerify(_ user: User) -> Bool {
        mode != .off && !user.isEmailVerified
    }

    // MARK: signing up

    /// A new account whose address is to be proved: the link is mailed
    /// (nothing in `off` mode). Call after ``Accounts/register(email:password:confirmation:from:recordingAs:)``.
    public func accountCreated(_ user: User) async throws {
        guard mode != .off else { return }
        try await sendLink(to: user)
    }

    /// Signup in `required` mode: the same answer, the same work (one hash,
    /// one mail) and so the same time whether or not the address has an
    /// account. A new address gets an account and its link; a taken one's
    /// owner is told someone tried. Throws ``FieldErrors`` for what the
    /// person can fix (never "already exists") and ``Throttled`` (signups
    /// from `client`'s address).
    ///
    /// Both mails count against the address's limit on mailed links, like a
    /// reset request, and are left unsent past it without a word to the
    /// person signing up: signups from many client addresses can't flood a
    /// stranger's inbox with "someone tried", and the answer stays the same.
    public func signUpQuietly(email: String, password: String, confirmation: String, from client: Client = .unknown) async throws {
        do {
            let user = try await accounts.register(email: email, password: password, confirmation: confirmation, from: client)
            if try await mayMail(user.email) { try await sendLink(to: user) }
        } catch let errors as FieldErrors where errors == Accounts.emailTaken {
            // The new-account path hashed the password: so does this one.
            let (address, newPassword) = try accounts.validateNewAccount(email: email, password: password, confirmation: confirmation)
            _ = try await accounts.hasher.hash(newPassword)
            if try await mayMail(address) { try await links.mail.send(letters.signupAttempt(to: address)) }
        }
    }

    /// Counts one mail to `address`; `false` once its limit is reached.
    private func mayMail(_ address: EmailAddress) async throws -> Bool {
        do {
            try await accounts.throttle.admitMailedLink(email: address.value, from: nil)
            return true
        } catch is Throttled {
            return false
        }
    }

    // MARK: sending a link

    /// Mails `user` a new link (replacing any earlier one), unless the
    /// address is verified already. Throttled like reset requests (each one
    /// sends a mail).
    public func resend(for user: User, from client: Client = .unknown) async throws {
        try await accounts.throttle.admitMailedLink(email: user.email.value, from: client.address)
        guard mode != .off, !user.isEmailVerified else { return }
        try await sendLink(to: user)
    }

    /// "Resend" from the login page (`required` mode): the same answer and
    /// timing whatever `email` is. Throws ``FieldErrors`` for a malformed
    /// address and ``Throttled``.
    public func resend(email rawEmail: String, from client: Client = .unknown) async throws {
        let started = ContinuousClock.now
        let email: EmailAddress
        do { email = try EmailAddress(rawEmail) } catch { throw FieldErrors([.email: error.message]) }
        try await accounts.throttle.admitMailedLink(email: email.value, from: client.address)
        if mode != .off, let user = try await links.store.user(email: email), !user.isEmailVerified {
            try await sendLink(to: user)
        }
        try? await Task.sleep(until: started + answerTime, clock: .continuous)
    }

    // MARK: opening a link

    /// Marks the address the link was sent to verified, and uses the link
    /// up. Returns the account, now verified, or `nil` when the link is
    /// unknown, used, expired, or for an address the account no longer has.
    public func verify(_ token: LinkToken, from client: Client = .unknown) async throws -> User? {
        guard let record = try await links.store.useLink(digest: token.digest, purpose: .emailVerification),
            record.expiresAt > links.clock(), let address = record.email,
            let user = try await links.store.credentials(userID: record.userID)?.user, user.email == address
        else { return nil }
        let now = links.clock()
        guard try await links.store.markEmailVerified(userID: user.id, email: address, at: now) else { return nil }
        await links.securityLog.record(SecurityEvent(.emailVerified, at: now, user: user, client: client))
        return User(
            id: user.id,
            email: user.email,
            createdAt: user.createdAt,
            passwordChangedAt: user.passwordChangedAt,
            emailVerifiedAt: user.emailVerifiedAt ?? Date(unixSeconds: now.unixSeconds)
        )
    }

    // MARK: helpers

    func sendLink(to user: User) async throws {
        try await links.issue(.emailVerification, for: user, address: user.email, path: "/email/verify/", lifetime: lifetime) {
            letters.verificationLink(to: user.email, link: $0, lifetime: lifetime)
        }
    }
}
