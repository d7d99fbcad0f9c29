import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A server that answers PostgreSQL's `SSLRequest` with "yes" and then
/// shows a self-signed certificate no one trusts — a stand-in for whoever
/// sits between an app and its database. It records whether a client went
/// on to send anything (its startup message, then its password) over TLS.
public final class FakePostgresTLSServer: Sendable {
    private let channel: any Channel
    private let received: NIOLockedValueBox<Int>
    public let port: Int

    /// Bytes clients sent after the TLS handshake.
    public var bytesReceivedOverTLS: Int { received.withLockedValue { $0 } }

    public static func start() async throws -> FakePostgresTLSServer {
        guard let fixtures = Bundle.module.url(forResource: "Fixtures", withExtension: nil) else { throw FixturesMissing() }
        let configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(fixtures.appendingPathComponent("untrusted-cert.pem").path).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: fixtures.appendingPathComponent("untrusted-key.pem").path, format: .pem))
        )
        let context = try NIOSSLContext(configuration: configuration)
        let received = NIOLockedValueBox(0)
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(SSLRequestHandler(context: context, received: received))
                }
            }
            .bind(host: "0.0.0.0", port: 0).get()
        return FakePostgresTLSServer(channel: channel, received: received)
    }

    private init(channel: any Channel, received: NIOLockedValueBox<Int>) {
        self.channel = channel
        self.port = channel.localAddress?.port ?? 0
        self.received = received
    }

    public func stop() async {
        try? await channel.close()
    }

    struct FixturesMissing: Error {}

    /// This machine's first IPv4 address that isn't loopback, if it has one.
    public static func nonLoopbackAddress() -> String? {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0 else { return nil }
        defer { freeifaddrs(list) }
        var cursor = list
        while let entry = cursor {
            defer { cursor = entry.pointee.ifa_next }
            guard let address = entry.pointee.ifa_addr, address.pointee.sa_family == sa_family_t(AF_INET) else { continue }
            var text = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
            address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { ipv4 in
                var raw = ipv4.pointee.sin_addr
                _ = inet_ntop(AF_INET, &raw, &text, socklen_t(INET_ADDRSTRLEN))
            }
            let name = String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if !name.hasPrefix("127.") { return name }
        }
        return nil
    }

    /// Reads the 8-byte SSLRequest, says "S", then speaks TLS.
    private final class SSLRequestHandler: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = ByteBuffer
        let context: NIOSSLContext
        let received: NIOLockedValueBox<Int>
        var buffered = ByteBuffer()

        init(context: NIOSSLContext, received: NIOLockedValueBox<Int>) {
            self.context = context
            self.received = received
        }

        func channelRead(context channelContext: ChannelHandlerContext, data: NIOAny) {
            var bytes = unwrapInboundIn(data)
            buffered.writeBuffer(&bytes)
            guard buffered.readableBytes >= 8 else { return }
            let pipeline = channelContext.pipeline.syncOperations
            channelContext.writeAndFlush(NIOAny(ByteBuffer(string: "S")), promise: nil)
            try? pipeline.addHandler(NIOSSLServerHandler(context: context), position: .first)
            try? pipeline.addHandler(Recorder(received: received))
            pipeline.removeHandler(self, promise: nil)
        }
    }

    /// Counts what arrives once TLS is up.
    private final class Recorder: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        let received: NIOLockedValueBox<Int>
        init(received: NIOLockedValueBox<Int>) { self.received = received }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let count = unwrapInboundIn(data).readableBytes
            received.withLockedValue { $0 += count }
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            context.close(promise: nil)
        }
    }
}
