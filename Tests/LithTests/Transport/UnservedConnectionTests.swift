import NIOCore
import NIOEmbedded
import NIOHTTPTypes
import Testing

@testable import Lith

/// A connection accepted just as the server stops, never handed to the
/// accept loop, is closed rather than crashing the process.
@Suite("Unserved connection")
struct UnservedConnectionTests {
    static func connectedChannel() async throws -> (NIOAsyncTestingChannel, NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>) {
        let channel = NIOAsyncTestingChannel()
        try await channel.connect(to: try SocketAddress(ipAddress: "127.0.0.1", port: 1)).get()
        let asyncChannel = try await channel.eventLoop.submit {
            try NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>(wrappingChannelSynchronously: channel)
        }.get()
        return (channel, asyncChannel)
    }

    /// Waits up to `seconds` for `channel` to close; whether it did.
    static func closes(_ channel: NIOAsyncTestingChannel, within seconds: Int = 5) async throws -> Bool {
        for _ in 0..<(seconds * 100) {
            if !channel.isActive { return true }
            try await Task.sleep(for: .milliseconds(10))
        }
        return false
    }

    @Test func aConnectionDroppedUnservedIsClosed() async throws {
        // given an accepted connection
        let (channel, asyncChannel) = try await Self.connectedChannel()
        // when the server lets go of it without serving it (shutdown)
        do { _ = UnservedConnection(asyncChannel) }
        // then it is closed, the supported way (NIO traps otherwise once the
        // last reference to its writer goes)
        #expect(try await Self.closes(channel))
    }

    @Test func aServedConnectionIsLeftToItsHandler() async throws {
        // given an accepted connection the accept loop took
        let (channel, asyncChannel) = try await Self.connectedChannel()
        do {
            let unserved = UnservedConnection(asyncChannel)
            unserved.markServed()
        }
        // then dropping the marker doesn't close it: the handler does
        #expect(try await !Self.closes(channel, within: 1))
        try await asyncChannel.executeThenClose { _, _ in }
    }
}
