import Foundation

/// An account, as the store keeps it.
public struct User: Sendable, Hashable, Identifiable {
    public typealias ID = Int64

    public let id: ID
    public let email: EmailAddress
    public let passwordHash: PasswordHash
    public let createdAt: Date
    public let passwordChangedAt: Date

    public init(id: ID, email: EmailAddress, passwordHash: PasswordHash, createdAt: Date, passwordChangedAt: Date) {
        self.id = id
        self.email = email
        self.passwordHash = passwordHash
        self.createdAt = createdAt
        self.passwordChangedAt = passwordChangedAt
    }
}
