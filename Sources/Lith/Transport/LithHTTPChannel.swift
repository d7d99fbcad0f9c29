import HTTPTypes
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1

/// Hummingbird's HTTP/1 channel with the limits a server facing the internet
/// needs (``ConnectionLimits``) and the host names it answers to
/// (``AllowedHosts``): the same pipeline as `HTTP1Channel`, with Lith's two
/// guards around the HTTP decoder. Requests are then handled by Hummingbird
/// as usual.
public struct LithHTTPChannel: ServerChildChannel, HTTPChannelHandler {
    public struct Value: ServerChildChannelValue {
        let asyncChannel: NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>
        let presence: ClientPresence
        let unserved: UnservedConnection
        public var channel: any Channel { asyncChannel.channel }
    }

    public let responder: HTTPChannelHandler.Responder
    let limits: ConnectionLimits
    let allowedHosts: AllowedHosts
    let registry: ConnectionRegistry
    let log: RateLimitedLog

    init(responder: @escaping HTTPChannelHandler.Responder, limits: ConnectionLimits, allowedHosts: AllowedHosts, logger: Logger) {
        self.responder = responder
        self.limits = limits
        self.allowedHosts = allowedHosts
        self.registry = ConnectionRegistry(limits: limits, logger: logger)
        self.log = RateLimitedLog(logger: logger)
    }

    public func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            let presence = ClientPresence()
            let connection = ConnectionGuard(
                channel: channel,
                limits: limits,
                allowedHosts: allowedHosts,
                registry: registry,
                presence: presence,
                log: log
            )
            let pipeline = channel.pipeline.syncOperations
            try pipeline.addHandler(ByteBudgetHandler(connection))
            var decoderLimits = NIOHTTPDecoderLimitConfiguration()
            decoderLimits.maxHeaderFieldSize = limits.maximumHeadBytes
            decoderLimits.maxHeaderListSize = limits.maximumHeadBytes
            decoderLimits.maxHeaderFieldCount = limits.maximumHeaderCount
            try pipeline.configureHTTPServerPipeline(
                withPipeliningAssistance: false,  // NIOAsyncChannel reads requests one at a time
                withErrorHandling: false,  // parse errors are answered by the request guard
                withOutboundHeaderValidation: false,  // HTTPTypes has validated them
                withEncoderConfiguration: .init(),
                withDecoderLimitConfiguration: decoderLimits
            )
            try pipeline.addHandler(RequestGuardHandler(connection))
            try pipeline.addHandler(HTTP1ToHTTPServerCodec(secure: false))
            let asyncChannel = try NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>(
                wrappingChannelSynchronously: channel,
                configuration: .init(isOutboundHalfClosureEnabled: true)
            )
            return Value(asyncChannel: asyncChannel, presence: presence, unserved: UnservedConnection(asyncChannel))
        }
    }

    public func handle(value: Value, logger: Logger) async {
        value.unserved.markServed()
        await ClientPresence.$current.withValue(value.presence) {
            await handleHTTP(asyncChannel: value.asyncChannel, logger: logger)
        }
    }
}

extension HTTPServerBuilder {
    /// HTTP/1 with Lith's connection limits and host check: what `lith
    /// serve` listens with, and what an app built on Lith should use when
    /// it faces the internet without a proxy in front.
    ///
    /// ```swift
    /// let app = Application(router: router, server: .lith(allowedHosts: try AllowedHosts(["login.example.com"])))
    /// ```
    public static func lith(limits: ConnectionLimits = ConnectionLimits(), allowedHosts: AllowedHosts, logger: Logger) -> HTTPServerBuilder {
        .init { responder in
            LithHTTPChannel(responder: responder, limits: limits, allowedHosts: allowedHosts, logger: logger)
        }
    }
}
