import Foundation
@_spi(Testing) import LithTestSupport
import Testing

@_spi(Testing) @testable import Lith

/// Secrets every instance shares (``SecretStore``), run against each store.
@Suite("Secret store")
struct SecretStoreTests {
    @Test(arguments: StoreKind.available)
    func instancesAskingAtOnceAllGetTheFirstStoredSecret(kind: StoreKind) async throws {
        try await kind.with { store in
            // given ten instances starting together, each with a candidate of its own
            let answers = try await withThrowingTaskGroup(of: [UInt8].self) { group in
                for index in 0..<10 { group.addTask { try await store.sharedSecret(named: "k", candidate: [UInt8(index), 1, 2]) } }
                return try await group.reduce(into: [[UInt8]]()) { $0.append($1) }
            }
            // then they all got one and the same, one of the candidates
            #expect(Set(answers).count == 1)
            #expect((0..<10).map { [UInt8($0), 1, 2] }.contains(answers[0]))
            // and a later instance gets it too
            #expect(try await store.sharedSecret(named: "k", candidate: [9, 9, 9]) == answers[0])
        }
    }
}
