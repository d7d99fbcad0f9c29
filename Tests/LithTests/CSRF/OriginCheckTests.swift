import HTTPTypes
import Hummingbird
@_spi(Testing) import LithTestSupport
import Testing

@_spi(Testing) @testable import Lith

/// The browser's word on where a POST came from: scheme, host and port must
/// all be the site's own.
@Suite("Origin check")
struct OriginCheckTests {
    static func request(origin: String?, host: String = "login.example.com") -> Request {
        var fields = HTTPFields()
        if let origin { fields[.origin] = origin }
        let head = HTTPRequest(method: .post, scheme: nil, authority: host, path: "/login", headerFields: fields)
        return Request(head: head, body: .init(buffer: .init()))
    }

    @Test(arguments: [
        ("https://login.example.com", true), ("https://LOGIN.example.com:443", true), ("http://login.example.com", false),
        ("https://login.example.com:8443", false), ("https://evil.example", false), ("null", false),
        ("https://login.example.com/", false),
    ])
    func withAPublicURLOnlyItsExactOriginPasses(origin: String, allowed: Bool) throws {
        let check = OriginCheck(publicURL: try PublicURL("https://login.example.com"))
        #expect(check.allows(Self.request(origin: origin), https: false) == allowed)
    }

    @Test func withoutOneTheRequestsHostAndTheServedSchemeDecide() {
        let check = OriginCheck()
        #expect(check.allows(Self.request(origin: "http://127.0.0.1:8080", host: "127.0.0.1:8080"), https: false))
        #expect(!check.allows(Self.request(origin: "https://127.0.0.1:8080", host: "127.0.0.1:8080"), https: false))
        #expect(check.allows(Self.request(origin: "https://login.example.com", host: "login.example.com"), https: true))
        #expect(!check.allows(Self.request(origin: "http://login.example.com", host: "login.example.com"), https: true))
    }

    @Test func aTrustedOriginPassesAsWell() {
        let check = OriginCheck(trustedOrigins: ["HTTPS://www.example.com:443"])
        #expect(check.allows(Self.request(origin: "https://www.example.com"), https: true))
    }

    @Test func noOriginLeavesTheDecisionToTheToken() {
        #expect(OriginCheck().allows(Self.request(origin: nil), https: true))
    }
}
