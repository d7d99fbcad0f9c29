/// A stored password hash, parsed. The encoding names the algorithm and its
/// parameters, `$scrypt$ln=17,r=8,p=1$<salt>$<key>` (salt and key base64url),
/// so a verifier never has to guess how a hash was made.
public struct PasswordHash: Sendable, Hashable, CustomStringConvertible {
    public let parameters: ScryptParameters
    let salt: [UInt8]
    let key: [UInt8]

    static let saltLength = 16
    static let keyLength = 32

    public enum Problem: Error, Sendable, Equatable {
        case unrecognised
    }

    init(parameters: ScryptParameters, salt: [UInt8], key: [UInt8]) {
        self.parameters = parameters
        self.salt = salt
        self.key = key
    }

    public init(encoded: String) throws(Problem) {
        let fields = encoded.split(separator: "$", omittingEmptySubsequences: false)
        guard fields.count == 5, fields[0].isEmpty, fields[1] == "scrypt" else { throw .unrecognised }
        guard let parameters = try? ScryptParameters(parsing: fields[2]),
            let salt = Base64URL.decode(fields[3]), salt.count >= 8, salt.count <= 64,
            let key = Base64URL.decode(fields[4]), key.count >= 16, key.count <= 64
        else { throw .unrecognised }
        self.init(parameters: parameters, salt: salt, key: key)
    }

    /// The form written to the store.
    public var encoded: String {
        "$scrypt$\(parameters)$\(Base64URL.encode(salt))$\(Base64URL.encode(key))"
    }

    /// Shows the parameters, never the key.
    public var description: String { "PasswordHash(scrypt \(parameters))" }
}
