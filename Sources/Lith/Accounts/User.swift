import Foundation

/// An account, as the rest of the app sees it. Its password hash is not part
/// of it: only ``Accounts/authenticate(email:password:)`` ever reads that, so
/// the signed-in user carried through every request holds no credential.
public struct User: Sendable, Hashable, Identifiable {
    public typealias ID = Int64

    public let id: ID
    public let email: EmailAddress
    public let createdAt: Date
    public let passwordChangedAt: Date
    /// When the owner opened a link mailed to ``email``; `nil` until then.
    public let emailVerifiedAt: Date?

    public init(id: ID, email: EmailAddress, createdAt: Date, passwordChangedAt: Date, emailVerifiedAt: Date? = nil) {
        self.id = id
        self.email = email
        self.createdAt = createdAt
        self.passwordChangedAt = passwordChangedAt
        self.emailVerifiedAt = emailVerifiedAt
    }

    /// Whether ``email`` is known to reach the owner.
    public var isEmailVerified: Bool { emailVerifiedAt != nil }
}
