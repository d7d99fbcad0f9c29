@_spi(Testing) import Lith
@_spi(Testing) import LithTestSupport
import Testing

/// A connection to a database on another machine checks the certificate by
/// default: an impostor in between never receives the password.
@Suite("PostgreSQL TLS", .enabled(if: FakePostgresTLSServer.nonLoopbackAddress() != nil, "this machine has no non-loopback address"))
struct PostgresTLSTests {
    @Test func withoutSSLModeAnUntrustedCertificateIsRefusedBeforeAnythingIsSent() async throws {
        // given a server on another address presenting a certificate no one trusts
        let impostor = try await FakePostgresTLSServer.start()
        let host = try #require(FakePostgresTLSServer.nonLoopbackAddress())
        // when Lith connects with a URL that says nothing about TLS
        await #expect(throws: StoreError.self) {
            _ = try await PostgresStore.open(url: "postgres://lith:secret@\(host):\(impostor.port)/lith", timeout: 3)
        }
        // then the handshake failed, and the impostor got nothing: no startup message, no password
        #expect(impostor.bytesReceivedOverTLS == 0)
        await impostor.stop()
    }

    @Test func sslModeRequireSendsToTheImpostorWhichIsWhyItIsWarnedAbout() async throws {
        // given the same impostor, and a URL that asks only for encryption
        let impostor = try await FakePostgresTLSServer.start()
        let host = try #require(FakePostgresTLSServer.nonLoopbackAddress())
        await #expect(throws: StoreError.self) {
            _ = try await PostgresStore.open(url: "postgres://lith:secret@\(host):\(impostor.port)/lith?sslmode=require", timeout: 2)
        }
        // then the client did talk to it over TLS (the test can tell the two apart)
        #expect(impostor.bytesReceivedOverTLS > 0)
        await impostor.stop()
    }
}
