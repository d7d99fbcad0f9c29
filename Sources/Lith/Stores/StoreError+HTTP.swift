import Hummingbird

/// Without an error page of its own, an app still answers store failures
/// with the right status and no detail: 503 and `Retry-After` while the
/// database is away (a load balancer can retry elsewhere), 500 otherwise.
extension StoreError: HTTPResponseError {
    public var status: HTTPResponse.Status {
        switch self {
        case .unavailable: .serviceUnavailable
        case .emailTaken: .conflict
        case .failure: .internalServerError
        }
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = Response(status: status)
        if case .unavailable = self { response.headers[.retryAfter] = "5" }
        return response
    }
}
