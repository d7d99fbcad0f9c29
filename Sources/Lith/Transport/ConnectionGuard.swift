import Logging
import NIOCore
import NIOHTTP1

/// One connection's clock and byte budget, shared by its two guard handlers:
/// ``ByteBudgetHandler`` sees the raw bytes before the HTTP decoder, and
/// ``RequestGuardHandler`` the decoded requests and the responses.
///
/// The connection is always in one phase, and each phase but answering has
/// a deadline: a client may not make the server wait on it for longer than
/// ``ConnectionLimits`` allows, whatever it sends or doesn't.
final class ConnectionGuard {
    enum Phase {
        /// No byte of the next request yet: a new connection (head timeout)
        /// or a kept-alive one between requests (idle timeout).
        case awaitingRequest
        /// Bytes of a request head have arrived; the rest must follow in time.
        case readingHead
        /// The head was accepted; its body must arrive in time.
        case readingBody
        /// The whole request is in; the server is answering. No deadline: an
        /// answer may wait for a password hash, which has bounds of its own.
        case answering
        /// Refused or shut down: nothing more is read, only closing.
        case closing
    }

    let limits: ConnectionLimits
    let allowedHosts: AllowedHosts
    let registry: ConnectionRegistry
    let entry: ConnectionRegistry.Entry
    let presence: ClientPresence
    let log: RateLimitedLog

    private(set) var phase = Phase.awaitingRequest
    private var deadline: NIODeadline
    /// Requests passed on whose response hasn't ended yet.
    var requestsInFlight = 0
    /// Responses completed on this connection.
    private(set) var requestsServed = 0
    /// Wire bytes of the request being read, framing included.
    var bytesThisRequest = 0
    /// Bytes of a next (pipelined) request arrived while answering.
    var nextRequestStarted = false
    /// The server has begun the answer to the request in flight.
    var responseStarted = false
    /// Lith answered in the server's place: what the server still writes is dropped.
    private(set) var refused = false
    /// Shutting down, or the client asked to: close once the requests in
    /// flight are answered.
    var closeWhenAnswered = false
    /// The byte guard's place at the head of the pipeline: refusals are
    /// written from there, and the clock runs on its event loop.
    var rawContext: ChannelHandlerContext?
    private var timer: Scheduled<Void>?
    private var timerDue: NIODeadline?

    init(
        channel: any Channel,
        limits: ConnectionLimits,
        allowedHosts: AllowedHosts,
        registry: ConnectionRegistry,
        presence: ClientPresence,
        log: RateLimitedLog
    ) {
        let now = NIODeadline.now()
        self.limits = limits
        self.allowedHosts = allowedHosts
        self.registry = registry
        self.entry = ConnectionRegistry.Entry(channel: channel, now: now)
        self.presence = presence
        self.log = log
        self.deadline = now + TimeAmount(limits.headTimeout)
    }

    // MARK: phases

    func enter(_ phase: Phase, now: NIODeadline = .now()) {
        self.phase = phase
        switch phase {
        case .awaitingRequest:
            entry.markWaiting(since: now)
            arm(now + TimeAmount(limits.idleTimeout))
        case .readingHead:
            arm(now + TimeAmount(limits.headTimeout))
        case .readingBody:
            entry.markBusy()
            arm(now + TimeAmount(limits.bodyTimeout))
        case .answering, .closing:
            break
        }
    }

    /// Bytes arrived from the client. Returns whether they may be decoded.
    func bytesArrived(_ count: Int) -> Bool {
        switch phase {
        case .closing: return false
        case .awaitingRequest: enter(.readingHead)
        case .answering: nextRequestStarted = true
        case .readingHead, .readingBody: break
        }
        bytesThisRequest += count
        guard bytesThisRequest <= limits.maximumRequestBytes else {
            refuse(
                .payloadTooLarge,
                "This request is larger than this site accepts.",
                reason: "request larger than \(limits.maximumRequestBytes) bytes"
            )
            return false
        }
        return true
    }

    /// A request has been read in full.
    func requestEnded() {
        bytesThisRequest = 0
        guard phase != .closing else { return }
        if requestsInFlight > 0 {
            phase = .answering
        } else {
            // Answered before its body was read (a 413, a redirect).
            enter(.awaitingRequest)
        }
    }

    /// A response has been written in full.
    func responseEnded() {
        requestsInFlight -= 1
        requestsServed += 1
        guard requestsInFlight == 0, phase == .answering else { return }
        if nextRequestStarted {
            nextRequestStarted = false
            enter(.readingHead)
        } else {
            enter(.awaitingRequest)
        }
    }

    // MARK: the clock

    /// At shutdown, how long a new connection that has sent nothing yet may
    /// take to start its request: long enough for one already on its way,
    /// short enough that silent connections don't hold the shutdown.
    static let lastCallForFirstRequest: Duration = .seconds(1)

    /// Brings the current deadline forward to `duration` from now, if that is sooner.
    func shorten(to duration: Duration) {
        let due = NIODeadline.now() + TimeAmount(duration)
        if due < deadline { arm(due) }
    }

    /// Makes sure a timer fires by `deadline` (one timer per connection, moved
    /// only earlier: a later deadline is picked up when the earlier one fires).
    private func arm(_ newDeadline: NIODeadline) {
        deadline = newDeadline
        if let timerDue, timerDue <= newDeadline { return }
        timer?.cancel()
        guard let context = rawContext else { return }
        timerDue = newDeadline
        timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: newDeadline) { [self] in
            timer = nil
            timerDue = nil
            deadlinePassed()
        }
    }

    /// Starts the clock once the byte guard is in the pipeline.
    func start(with context: ChannelHandlerContext) {
        rawContext = context
        let due = deadline
        deadline = .distantFuture
        arm(due)
    }

    func stop() {
        timer?.cancel()
        timer = nil
        timerDue = nil
    }

    private func deadlinePassed() {
        let now = NIODeadline.now()
        switch phase {
        case .answering, .closing:
            return
        case .awaitingRequest, .readingHead, .readingBody:
            guard now >= deadline else {
                arm(deadline)
                return
            }
        }
        switch phase {
        case .awaitingRequest:
            // A quiet keep-alive connection: closing it is routine.
            phase = .closing
            rawContext?.close(promise: nil)
        case .readingHead:
            refuse(.requestTimeout, "The request took too long to arrive.", reason: "head not received within \(limits.headTimeout)", level: .notice)
        case .readingBody:
            refuse(.requestTimeout, "The request took too long to arrive.", reason: "body not received within \(limits.bodyTimeout)", level: .notice)
        case .answering, .closing:
            break
        }
    }

    // MARK: refusing

    /// Answers `status` and closes the connection: nothing more is read from
    /// it, and a response the server might still write for it is dropped.
    /// If the server has begun an answer, the connection just closes (two
    /// answers must never interleave).
    ///
    /// The answer is written as bytes, past the HTTP encoder, which would
    /// strip the length from an answer to CONNECT: every refusal says how
    /// long it is, so a client can tell it arrived whole.
    func refuse(
        _ status: HTTPResponseStatus,
        _ message: String,
        reason: @autoclosure () -> String,
        level: Logger.Level = .info,
        retryAfter: Int? = nil,
        withBody: Bool = true
    ) {
        guard phase != .closing, let context = rawContext else { return }
        phase = .closing
        refused = true
        entry.markBusy()
        log.log(
            level,
            "refused a request",
            metadata: [
                "status": "\(status.code)", "reason": "\(reason())", "peer": "\(context.channel.remoteAddress?.ipAddress ?? "?")",
            ]
        )
        guard requestsInFlight == 0 || (requestsInFlight == 1 && !responseStarted) else {
            context.close(promise: nil)
            return
        }
        let response = Self.response(status, message, retryAfter: retryAfter, withBody: withBody)
        context.writeAndFlush(NIOAny(context.channel.allocator.buffer(string: response))).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }

    /// A complete, self-contained HTTP/1.1 response that ends the connection.
    static func response(_ status: HTTPResponseStatus, _ message: String, retryAfter: Int? = nil, withBody: Bool = true) -> String {
        let body = message + "\n"
        var text = "HTTP/1.1 \(status.code) \(status.reasonPhrase)\r\n"
        text += "Content-Type: text/plain; charset=utf-8\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n"
        text += "X-Content-Type-Options: nosniff\r\nCache-Control: no-store\r\n"
        if let retryAfter { text += "Retry-After: \(retryAfter)\r\n" }
        text += "\r\n"
        if withBody { text += body }
        return text
    }
}
