import Hummingbird

/// Without a form to show again, an app still answers a full hashing queue
/// with a 503 and when to retry, and a departed client with nothing anyone reads.
extension PasswordHasher.Overloaded: HTTPResponseError {
    public var status: HTTPResponse.Status { .serviceUnavailable }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        Response(status: status, headers: [.retryAfter: String(retryAfterSeconds)])
    }
}

extension PasswordHasher.ClientGone: HTTPResponseError {
    public var status: HTTPResponse.Status { .serviceUnavailable }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        Response(status: status)
    }
}

/// Without a form to show again, an app still answers a throttled login or
/// signup with 429 and when to retry (RFC 6585), never a 500.
extension Throttled: HTTPResponseError {
    public var status: HTTPResponse.Status { .tooManyRequests }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        Response(status: status, headers: [.retryAfter: String(retryAfterSeconds)])
    }
}
