import NIOCore

extension SQLiteStore: SecretStore {
    public func sharedSecret(named name: String, candidate: [UInt8]) async throws -> [UInt8] {
        try await write(.sharedSecret) {
            _ = try await writer.query(
                "INSERT INTO lith_secrets (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
                [.text(name), .blob(ByteBuffer(bytes: candidate))]
            )
            guard
                case .blob(let buffer) = try await writer.query("SELECT value FROM lith_secrets WHERE name = ?", [.text(name)]).first?.column("value")
            else { throw StoreError.failure("secret \(name) is missing") }
            return Array(buffer.readableBytesView)
        }
    }
}
