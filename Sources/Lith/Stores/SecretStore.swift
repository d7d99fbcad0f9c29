/// Secrets every instance must share, such as the CSRF signing key.
public protocol SecretStore: Sendable {
    /// The secret named `name`, created by whichever instance asks first:
    /// `candidate` is stored if the name is new, and the stored value is
    /// returned — the same for everyone, even when instances start together.
    func sharedSecret(named name: String, candidate: [UInt8]) async throws -> [UInt8]
}
