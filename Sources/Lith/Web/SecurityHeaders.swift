import HTTPTypes
import Hummingbird

/// Headers that make the browser refuse what Lith never does: inline and
/// foreign scripts, framing, MIME sniffing, leaking URLs to other sites, and
/// caching pages that hold user data or form tokens. Every response gets them.
struct SecurityHeaders: Sendable {
    private let fields: [HTTPField]

    static var contentSecurityPolicy: String {
        "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    }

    /// `secure`: also send HSTS.
    init(secure: Bool) {
        var fields = [
            HTTPField(name: .contentSecurityPolicy, value: Self.contentSecurityPolicy),
            HTTPField(name: .xContentTypeOptions, value: "nosniff"),
            HTTPField(name: .referrerPolicy, value: "same-origin"),
            // Pages carry form tokens or user data: never from a cache.
            HTTPField(name: .cacheControl, value: "no-store"),
        ]
        if secure {
            // Only meaningful, and only safe, when serving https.
            fields.append(HTTPField(name: .strictTransportSecurity, value: "max-age=63072000; includeSubDomains"))
        }
        self.fields = fields
    }

    /// Built once: HTTPField checks a value's bytes when it is made, and
    /// appending skips the remove-then-add a subscript set does. A route
    /// that sets one of these itself keeps its own.
    func add(to response: inout Response) {
        response.headers.reserveCapacity(response.headers.count + fields.count)
        for field in fields where response.headers[field.name] == nil {
            response.headers.append(field)
        }
    }
}
