import NIOCore
import NIOHTTP1

/// First in the pipeline, on raw bytes: admits the connection (or refuses
/// it when the server is full), starts its clock, and counts every byte a
/// request sends on the wire, so nothing the decoder buffers or skips
/// (chunk extensions, trailers, whatever follows an upgrade) goes uncounted.
final class ByteBudgetHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let connection: ConnectionGuard
    private var started = false

    init(_ connection: ConnectionGuard) {
        self.connection = connection
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { start(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        start(context)
        context.fireChannelActive()
    }

    private func start(_ context: ChannelHandlerContext) {
        guard !started else { return }
        started = true
        connection.start(with: context)
        if !connection.registry.admit(connection.entry) {
            connection.refuse(
                .serviceUnavailable,
                "This server has too many connections open. Please try again in a moment.",
                reason: "connection limit \(connection.limits.maximumConnections) reached",
                level: .warning,
                retryAfter: 5
            )
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = unwrapInboundIn(data)
        guard connection.bytesArrived(bytes.readableBytes) else { return }
        context.fireChannelRead(data)
    }

    func channelInactive(context: ChannelHandlerContext) {
        connection.stop()
        connection.presence.markGone()
        connection.registry.remove(connection.entry)
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        connection.stop()
    }
}

/// After the HTTP decoder: checks each request head before anything else
/// sees it (Host, upgrades, CONNECT, the request target), follows requests
/// and responses to move the connection's clock, and answers what the
/// decoder refuses (431 for oversized headers, 400 for malformed ones).
final class RequestGuardHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let connection: ConnectionGuard

    init(_ connection: ConnectionGuard) {
        self.connection = connection
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard connection.phase != .closing else { return }
        switch unwrapInboundIn(data) {
        case .head(let head):
            if let (status, message, reason) = RequestHeadCheck.problem(with: head, allowedHosts: connection.allowedHosts) {
                connection.refuse(status, message, reason: reason, withBody: head.method != .HEAD)
                return
            }
            connection.requestsInFlight += 1
            // HTTP/1.0 without keep-alive, or `Connection: close`: the client
            // expects the connection to end with the answer.
            if !head.isKeepAlive { connection.closeWhenAnswered = true }
            connection.enter(.readingBody)
        case .body:
            break
        case .end:
            connection.requestEnded()
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard !connection.refused else {
            // Lith answered in the server's place: what the server still writes is dropped.
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        switch unwrapOutboundIn(data) {
        case .head(var head) where connection.closeWhenAnswered && connection.requestsInFlight == 1:
            // Shutting down, or the client asked: the connection ends here.
            connection.responseStarted = true
            head.headers.replaceOrAdd(name: "Connection", value: "close")
            context.write(wrapOutboundOut(.head(head)), promise: promise)
        case .head:
            connection.responseStarted = true
            context.write(data, promise: promise)
        case .body:
            context.write(data, promise: promise)
        case .end:
            connection.responseStarted = false
            context.write(data, promise: promise)
            connection.responseEnded()
            if connection.closeWhenAnswered, connection.requestsInFlight == 0 {
                context.flush()
                context.close(promise: nil)
            }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parserError = error as? HTTPParserError, connection.requestsInFlight == 0 || !connection.responseStarted else {
            context.fireErrorCaught(error)
            return
        }
        if parserError == .headerOverflow {
            connection.refuse(
                .requestHeaderFieldsTooLarge,
                "The request's headers are larger than this site accepts.",
                reason: "headers too large"
            )
        } else {
            connection.refuse(.badRequest, "The request could not be read.", reason: "malformed request: \(parserError)")
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event {
        case is ChannelShouldQuiesceEvent:
            connection.registry.beginShutdown(on: context.eventLoop)
            if connection.requestsInFlight == 0, connection.phase == .awaitingRequest, connection.requestsServed > 0 {
                // Between requests on a kept-alive connection: nothing to lose.
                context.close(promise: nil)
            } else {
                // A request in progress, or a new connection whose first
                // request may already be on its way (closing it now would
                // reset it unanswered): answer it, then close. A new
                // connection gets a moment to start its request; the grace
                // period bounds everything else.
                connection.closeWhenAnswered = true
                if connection.phase == .awaitingRequest { connection.shorten(to: ConnectionGuard.lastCallForFirstRequest) }
            }
        case ChannelEvent.inputClosed:
            // The client has stopped sending: whatever it asked for last, it
            // won't read (see ``ClientPresence``), and with nothing in flight
            // there is nothing left to say to it.
            connection.presence.markGone()
            context.fireUserInboundEventTriggered(event)
            if connection.requestsInFlight == 0 { context.close(promise: nil) }
        default:
            context.fireUserInboundEventTriggered(event)
        }
    }
}
