import Foundation

/// Moving an account to a new address: asked for on the account page with
/// the current password, made when the link mailed to the new address is
/// opened (so nobody can move an account to an address they don't read, or
/// take someone else's), and told to the old address, with no link in it.
///
/// A taken address gets the same answer as a free one (no link is sent to
/// it: the account can't move there), so the form doesn't tell a signed-in
/// stranger who else has an account.
public struct EmailChanges: Sendable {
    let accounts: Accounts
    let links: MailedLinks
    let letters: AddressLetters
    public let lifetime: TimeInterval

    public init(
        accounts: Accounts,
        links: MailedLinks,
        letters: AddressLetters,
        lifetime: TimeInterval = EmailVerifications.defaultLifetime
    ) {
        self.accounts = accounts
        self.links = links
        self.letters = letters
        self.lifetime = lifetime
    }

    /// Why a link can't be used.
    public struct LinkRefused: Error, Sendable, Equatable {
        public static let message = "This link has expired or has already been used. Ask for the change again on your account page."
    }

    public static let sameAddress = "That is already your address."

    /// Mails a link to `newEmail` (if no other account has it) and tells the
    /// old address. Throws ``FieldErrors`` (a malformed or unchanged address,
    /// a wrong current password, which counts towards the throttle like a
    /// failed login) and ``Throttled``.
    public func request(for user: User, newEmail rawEmail: String, currentPassword: String, from client: Client = .unknown) async throws {
        var errors = FieldErrors()
        var newEmail: EmailAddress?
        do { newEmail = try EmailAddress(rawEmail) } catch { errors[.email] = error.message }
        if newEmail == user.email { errors[.email] = Self.sameAddress }
        // Checked even when the address is wrong, so a typo doesn't let
        // anyone probe the password for free.
        if try await !accounts.checkCurrentPassword(currentPassword, of: user, from: client) {
            errors[.currentPassword] = Accounts.wrongCurrentPassword
        }
        guard errors.isEmpty, let newEmail else { throw errors }
        try await accounts.throttle.admitMailedLink(email: newEmail.value, from: client.address)
        let now = links.clock()
        if try await links.store.user(email: newEmail) == nil {
            try await links.issue(.emailChange, for: user, address: newEmail, path: "/account/email/confirm/", lifetime: lifetime) {
                letters.changeLink(to: newEmail, link: $0, lifetime: lifetime)
            }
        }
        try await links.mail.send(letters.changeRequested(to: user.email, newAddress: newEmail, at: now))
        await links.securityLog.record(SecurityEvent(.emailChangeRequested, at: now, user: user, email: newEmail, client: client))
    }

    /// The address `token` would move its account to, if the link can still
    /// be used; uses nothing up. The link's page shows it and asks for a
    /// click: a mail scanner that fetches every link must not move an
    /// account to an address someone mistyped.
    public func pendingAddress(for token: LinkToken) async throws -> EmailAddress? {
        guard let record = try await links.store.link(digest: token.digest, purpose: .emailChange), let newEmail = record.email,
            try await links.owner(of: record) != nil
        else { return nil }
        return newEmail
    }

    /// Moves the account to the address the link was sent to, which counts
    /// as verified (the link was opened there); the link is used up.
    /// Throws ``LinkRefused`` for an unknown, used or expired link, or when
    /// the address was taken by another account meanwhile.
    @discardableResult
    public func confirm(_ token: LinkToken, from client: Client = .unknown) async throws -> User {
        guard let record = try await links.store.useLink(digest: token.digest, purpose: .emailChange), let newEmail = record.email,
            let user = try await links.owner(of: record)
        else { throw LinkRefused() }
        let now = links.clock()
        do {
            guard try await links.store.changeEmail(userID: user.id, to: newEmail, at: now) else { throw LinkRefused() }
        } catch StoreError.emailTaken {
            throw LinkRefused()
        }
        // A verification link to the old address proves nothing now.
        try await links.store.deleteLinks(userID: user.id, purpose: .emailVerification)
        let moved = User(
            id: user.id,
            email: newEmail,
            createdAt: user.createdAt,
            passwordChangedAt: user.passwordChangedAt,
            emailVerifiedAt: Date(unixSeconds: now.unixSeconds)
        )
        await links.securityLog.record(SecurityEvent(.emailChanged, at: now, user: moved, client: client))
        return moved
    }
}
