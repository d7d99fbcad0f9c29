import Foundation
import HummingbirdTesting
@_spi(Testing) import Lith
import LithApp
@_spi(Testing) import LithTestSupport
import LithTesting
import Testing

/// What a client can no longer do to a server it reaches directly: hold a
/// connection without sending, trickle a request, or fill the server with
/// idle sockets. Over real sockets, with the limits shortened to seconds.
@Suite("Connection limits")
struct ConnectionLimitsTests {
    static func shortLimits(_ configuration: inout AppConfiguration) {
        configuration.connections.headTimeout = .seconds(1)
        configuration.connections.bodyTimeout = .seconds(1)
        configuration.connections.idleTimeout = .seconds(1)
    }

    @Test func aConnectionThatSendsNothingIsClosedAfterTheHeadTimeout() async throws {
        try await TestApp.run(.live, configure: Self.shortLimits) { _, client in
            // given a client that connects and says nothing
            let silent = try RawConnection(port: try #require(client.port))
            // when it waits
            let start = Date()
            let (answer, closed) = await silent.receiveUntilClosed(within: 5)
            // then the server closes it within the head timeout, without a word
            #expect(closed)
            #expect(answer.isEmpty)
            #expect(Date().timeIntervalSince(start) < 3)
        }
    }

    @Test func anIdleKeptAliveConnectionIsClosedAfterTheIdleTimeout() async throws {
        try await TestApp.run(.live, configure: Self.shortLimits) { _, client in
            // given a connection that made one request and keeps the connection
            let connection = try RawConnection(port: try #require(client.port))
            await connection.send("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
            #expect(await connection.receiveResponse(within: 5).statusCode == 200)
            // when it sends nothing more
            let start = Date()
            let (_, closed) = await connection.receiveUntilClosed(within: 5)
            // then the server closes it once the idle timeout has passed
            #expect(closed)
            #expect(Date().timeIntervalSince(start) < 3)
        }
    }

    @Test func aHeadTrickledPastTheHeadTimeoutIsCutOffWhileOthersAreServed() async throws {
        try await TestApp.run(.live, configure: Self.shortLimits) { _, client in
            let port = try #require(client.port)
            // given a client sending its request head a few bytes at a time (slowloris)
            let slow = try RawConnection(port: port)
            await slow.send("GET /login HTTP/1.1\r\n")
            try await Task.sleep(for: .milliseconds(500))
            await slow.send("Host: local")
            // when someone else asks for a page meanwhile
            let other = try RawConnection(port: port)
            await other.send("GET /login HTTP/1.1\r\nHost: localhost\r\n\r\n")
            // then they are served at once, and the slow one gets a 408 and is cut off
            #expect(await other.receiveResponse(within: 2).statusCode == 200)
            let (answer, closed) = await slow.receiveUntilClosed(within: 5)
            #expect(answer.statusCode == 408)
            #expect(closed)
        }
    }

    @Test func aBodyTrickledPastTheBodyTimeoutIsCutOff() async throws {
        try await TestApp.run(.live, configure: Self.shortLimits) { _, client in
            // given a form post whose body stalls after a few bytes
            let stalled = try RawConnection(port: try #require(client.port))
            await stalled.send(
                "POST /login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 300\r\n\r\nemail="
            )
            // then it is answered 408 and closed once the body timeout passes
            let (answer, closed) = await stalled.receiveUntilClosed(within: 5)
            #expect(answer.statusCode == 408)
            #expect(closed)
        }
    }

    @Test func atTheConnectionLimitANewcomerReplacesTheLongestIdleConnection() async throws {
        try await TestApp.run(.live, configure: { $0.connections.maximumConnections = 4 }) { _, client in
            let port = try #require(client.port)
            // given as many idle connections as the server allows
            var idle: [RawConnection] = []
            for _ in 0..<4 {
                idle.append(try RawConnection(port: port))
                try await Task.sleep(for: .milliseconds(50))
            }
            // when a newcomer asks for a page
            let newcomer = try RawConnection(port: port)
            await newcomer.send("GET /login HTTP/1.1\r\nHost: localhost\r\n\r\n")
            // then it is served, and the oldest idle connection made way for it
            #expect(await newcomer.receiveResponse(within: 3).statusCode == 200)
            #expect(await idle[0].receiveUntilClosed(within: 3).closed)
        }
    }

    @Test func atTheConnectionLimitWithEveryConnectionMidRequestANewcomerGetsA503() async throws {
        try await TestApp.run(.live, configure: { $0.connections.maximumConnections = 2 }) { _, client in
            let port = try #require(client.port)
            // given connections that are all mid-request (their bodies still coming)
            var busy: [RawConnection] = []
            for _ in 0..<2 {
                let connection = try RawConnection(port: port)
                await connection.send(
                    "POST /login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\n"
                )
                busy.append(connection)
            }
            try await Task.sleep(for: .milliseconds(200))
            // when a newcomer connects
            let newcomer = try RawConnection(port: port)
            // then it is told at once to come back later, with a length and a Retry-After
            let (answer, closed) = await newcomer.receiveUntilClosed(within: 3)
            #expect(answer.statusCode == 503)
            #expect(answer.headerValue("Retry-After") != nil)
            #expect(answer.headerValue("Content-Length") != nil)
            #expect(closed)
        }
    }
}
