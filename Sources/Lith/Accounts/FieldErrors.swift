/// The fields of Lith's account forms, named as the domain sees them.
public enum AccountField: String, Sendable, Hashable, CaseIterable {
    case email
    /// A signed-in user's password, asked for again before a sensitive change.
    case currentPassword = "current_password"
    case password
    case passwordConfirmation = "password_confirmation"
}

/// Messages a person can act on, one per field at most.
public struct FieldErrors: Error, Sendable, Equatable {
    public private(set) var messages: [AccountField: String] = [:]

    public init(_ messages: [AccountField: String] = [:]) {
        self.messages = messages
    }

    public var isEmpty: Bool { messages.isEmpty }

    public subscript(field: AccountField) -> String? {
        get { messages[field] }
        set { if messages[field] == nil { messages[field] = newValue } }
    }
}
