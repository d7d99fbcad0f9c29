/// Whether an account's address must be proved before it counts
/// (`--email-verification`).
public enum EmailVerificationMode: String, Sendable, CaseIterable {
    /// No link is sent; addresses are taken on trust.
    case off
    /// A link is sent at signup and a banner asks for it until it's opened;
    /// the account works meanwhile. The default: nobody is locked out by a
    /// slow mail server, and the account page shows what is unproved.
    case optional
    /// No sign-in until the link is opened, and signup says the same
    /// ("Check your inbox") whether or not the address has an account.
    case required
}
