import HTTPTypes
import HummingbirdTesting
@_spi(Testing) import Lith
@_spi(Testing) import LithTestSupport
import LithTesting
import Testing

@testable import LithApp

/// Which address a session and the throttle see, with and without a trusted
/// proxy in front (over a real socket from 127.0.0.1).
@Suite("Client address")
struct ClientAddressTests {
    static let forwarded: HTTPFields = [HTTPField.Name("X-Forwarded-For")!: "198.51.100.23, 203.0.113.5"]

    /// The address Ada's only session was made from.
    static func sessionAddress(_ app: TestApp) async throws -> String? {
        let ada = try #require(try await app.store.user(email: EmailAddress("ada@example.com")))
        return try await app.store.sessions(userID: ada.id).first?.ipAddress
    }

    @Test func withoutTrustedProxiesTheSocketPeerIsTheClientWhateverTheHeaderSays() async throws {
        try await TestApp.run(.live) { app, client in
            // given a client that forges X-Forwarded-For
            try await app.user("ada@example.com")
            let browser = TestBrowser(client, defaultHeaders: Self.forwarded)
            // when it logs in
            _ = try await browser.logIn(email: "ada@example.com", password: TestApp.password)
            // then its session is recorded from the socket's address
            #expect(try await Self.sessionAddress(app) == "127.0.0.1")
        }
    }

    @Test func behindATrustedProxyTheRightMostUntrustedAddressIsTheClient() async throws {
        try await TestApp.run(.live, configure: { $0.trustedProxies = try! TrustedProxies(["127.0.0.1"]) }) { app, client in
            // given requests through a trusted proxy at 127.0.0.1 that appended 203.0.113.5
            // to a client-written 198.51.100.23
            try await app.user("ada@example.com")
            let browser = TestBrowser(client, defaultHeaders: Self.forwarded)
            // when the client logs in
            _ = try await browser.logIn(email: "ada@example.com", password: TestApp.password)
            // then the proxy's entry is the address, never the forged one to its left
            #expect(try await Self.sessionAddress(app) == "203.0.113.5")
        }
    }

    @Test func guessesThroughAProxyAreCountedPerForwardedClient() async throws {
        try await TestApp.run(.live, configure: { $0.trustedProxies = try! TrustedProxies(["127.0.0.1"]) }) { app, client in
            // given five wrong passwords for Ada from one forwarded client
            try await app.user("ada@example.com")
            let attacker = TestBrowser(client, defaultHeaders: [HTTPField.Name("X-Forwarded-For")!: "203.0.113.5"])
            for _ in 0..<5 { _ = try await attacker.logIn(email: "ada@example.com", password: "guess") }
            // then that client waits, while Ada from another address behind the same proxy does not
            #expect(try await attacker.logIn(email: "ada@example.com", password: "guess").status == .tooManyRequests)
            let ada = TestBrowser(client, defaultHeaders: [HTTPField.Name("X-Forwarded-For")!: "192.0.2.44"])
            #expect(try await ada.logIn(email: "ada@example.com", password: TestApp.password).location == "/dashboard")
        }
    }
}
