import Foundation
import HummingbirdTesting
@_spi(Testing) import Lith
import LithApp
@_spi(Testing) import LithTestSupport
import LithTesting
import Testing

/// Requests refused before any handler runs: other protocols, other hosts,
/// heads and framing larger than the site accepts. Each refusal is a whole
/// response with a length, and the connection ends with it.
@Suite("Request heads")
struct RequestHeadTests {
    /// Sends `request` on a fresh connection; the answer, and whether the server closed.
    static func send(_ request: String, to client: some TestClientProtocol) async throws -> (answer: String, closed: Bool) {
        let connection = try RawConnection(port: try #require(client.port))
        await connection.send(request)
        let (text, closed) = await connection.receiveUntilClosed(within: 5)
        return (text, closed)
    }

    @Test(arguments: ["websocket", "h2c"])
    func anUpgradeRequestIsAnsweredAndTheConnectionClosedWithNothingBuffered(protocolName: String) async throws {
        try await TestApp.run(.live) { _, client in
            // given a request to switch protocols, followed by a stream of bytes
            let connection = try RawConnection(port: try #require(client.port))
            await connection.send("GET /login HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: \(protocolName)\r\n\r\n")
            // then it is refused with a length, and the server closes the
            // connection instead of buffering what follows
            let (answer, closed) = await connection.receiveUntilClosed(within: 5)
            #expect(answer.statusCode == 400)
            #expect(answer.headerValue("Content-Length") != nil)
            #expect(closed)
            let junk = [UInt8](repeating: UInt8(ascii: "x"), count: 1 << 20)
            var accepted = 0
            while accepted < 64, await connection.send(junk) { accepted += 1 }
            #expect(accepted < 64, "the server kept taking bytes after the upgrade request")
        }
    }

    @Test func aConnectRequestIsAnsweredWithALengthAndTheConnectionClosed() async throws {
        try await TestApp.run(.live) { _, client in
            let (answer, closed) = try await Self.send("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", to: client)
            #expect(answer.statusCode == 501)
            #expect(answer.headerValue("Content-Length") != nil)
            #expect(closed)
        }
    }

    @Test(arguments: [
        ("no Host", "GET /login HTTP/1.1\r\n\r\n"),
        ("two Hosts", "GET /login HTTP/1.1\r\nHost: localhost\r\nHost: 127.0.0.1\r\n\r\n"),
        ("an invalid Host", "GET /login HTTP/1.1\r\nHost: evil example/../x\r\n\r\n"),
        ("a foreign Host", "GET /login HTTP/1.1\r\nHost: rebind.evil.example\r\n\r\n"),
        ("an absolute URL", "GET http://localhost/login HTTP/1.1\r\nHost: localhost\r\n\r\n"),
    ])
    func aRequestWithoutExactlyOneAllowedHostIsA400(_ what: String, request: String) async throws {
        try await TestApp.run(.live) { _, client in
            let (answer, closed) = try await Self.send(request, to: client)
            #expect(answer.statusCode == 400, "\(what)")
            #expect(closed)
        }
    }

    @Test func theAllowedHostIsServedOnAnyPortAndInAnyCase() async throws {
        try await TestApp.run(.live) { _, client in
            let (answer, _) = try await Self.send("GET /healthz HTTP/1.1\r\nHost: LocalHost.:8443\r\nConnection: close\r\n\r\n", to: client)
            #expect(answer.statusCode == 200, "\(answer.debugDescription)")
        }
    }

    @Test func aRebindingStyleSignupIsRefusedAndCreatesNothing() async throws {
        try await TestApp.run(.live) { app, client in
            let port = try #require(client.port)
            // given an attacker's page on rebind.evil.example, whose DNS now points at the server
            let form = try RawConnection(port: port)
            await form.send("GET /signup HTTP/1.1\r\nHost: rebind.evil.example:\(port)\r\n\r\n")
            // then it can't even read the form
            #expect(await form.receiveUntilClosed(within: 5).text.statusCode == 400)
            // and a signup posted under that name creates no account
            let body = "email=victim%40example.com&password=correct+horse+battery&password_confirmation=correct+horse+battery&csrf_token=x"
            let post = try RawConnection(port: port)
            await post.send(
                "POST /signup HTTP/1.1\r\nHost: rebind.evil.example:\(port)\r\nOrigin: http://rebind.evil.example:\(port)\r\n"
                    + "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
            )
            #expect(await post.receiveUntilClosed(within: 5).text.statusCode == 400)
            #expect(try await app.store.users().isEmpty)
        }
    }

    @Test func headersLargerThanTheLimitGetA431() async throws {
        try await TestApp.run(.live) { _, client in
            let big = String(repeating: "a", count: 40_000)
            let (answer, closed) = try await Self.send("GET /login HTTP/1.1\r\nHost: localhost\r\nX-Big: \(big)\r\n\r\n", to: client)
            #expect(answer.statusCode == 431)
            #expect(closed)
            let many = (0..<200).map { "X-\($0): a\r\n" }.joined()
            #expect(try await Self.send("GET /login HTTP/1.1\r\nHost: localhost\r\n\(many)\r\n", to: client).answer.statusCode == 431)
        }
    }

    @Test func chunkExtensionsCountAgainstTheRequestsByteBudget() async throws {
        try await TestApp.run(.live) { _, client in
            // given a chunk-size line followed by a megabyte of "extension"
            let connection = try RawConnection(port: try #require(client.port))
            await connection.send(
                "POST /login HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\nContent-Type: application/x-www-form-urlencoded\r\n\r\n5;"
            )
            await connection.send([UInt8](repeating: UInt8(ascii: "x"), count: 1 << 20))
            // then the server answers 413 and closes, instead of reading on
            let (answer, closed) = await connection.receiveUntilClosed(within: 3)
            #expect(answer.statusCode == 413)
            #expect(closed)
        }
    }

    @Test func anHTTP10RequestIsAnsweredAndTheConnectionClosed() async throws {
        try await TestApp.run(.live) { _, client in
            let (answer, closed) = try await Self.send("GET /healthz HTTP/1.0\r\n\r\n", to: client)
            #expect(answer.statusCode == 200)
            #expect(closed)
        }
    }
}
