/// What ``Accounts`` needs of a password hasher: the seam where tests count
/// hashes (an unknown email must cost exactly one) and an app could plug in
/// another implementation. ``PasswordHasher`` is Lith's.
public protocol PasswordHashing: Sendable {
    /// A new hash with a fresh salt at today's parameters.
    func hash(_ password: Password) async throws -> PasswordHash
    /// Whether `password` produced `hash`, in constant time.
    func verify(_ password: Password, against hash: PasswordHash) async throws -> Bool
    /// Costs what a verification costs, and answers nothing: for logins
    /// with no account to check against.
    func verifyDummy(_ password: Password) async throws
    /// Whether a stored hash was made with other parameters than today's.
    func needsUpgrade(_ hash: PasswordHash) -> Bool
    /// Whether a stored hash may be checked at all: one that asks for far
    /// more work or memory than today's parameters is treated as unusable
    /// rather than run, so a tampered row can't make a login cost seconds
    /// and a gigabyte.
    func isUsable(_ hash: PasswordHash) -> Bool
    /// The parameters of the hashes already stored, learnt at start-up, so
    /// that failed logins cost the same whatever the account's hash.
    func learnStoredParameters(_ stored: [ScryptParameters]) async
}

extension PasswordHashing {
    public func learnStoredParameters(_ stored: [ScryptParameters]) async {}
}
