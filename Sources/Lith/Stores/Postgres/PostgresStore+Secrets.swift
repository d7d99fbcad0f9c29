import NIOCore
import PostgresNIO

extension PostgresStore: SecretStore {
    public func sharedSecret(named name: String, candidate: [UInt8]) async throws -> [UInt8] {
        try await run(.sharedSecret) { connection in
            try await connection.query(
                "INSERT INTO lith_secrets (name, value) VALUES (\(name), \(ByteBuffer(bytes: candidate))) ON CONFLICT (name) DO NOTHING"
            )
            for try await value in try await connection.query("SELECT value FROM lith_secrets WHERE name = \(name)").decode(ByteBuffer.self) {
                return Array(value.readableBytesView)
            }
            throw StoreError.failure("secret \(name) is missing")
        }
    }
}
