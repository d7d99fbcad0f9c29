@_spi(Testing) import Lith
import LithApp
@_spi(Testing) import LithTestSupport
import Testing

/// The host names the site answers to, and what counts as a host name.
@Suite("Allowed hosts")
struct AllowedHostsTests {
    @Test(
        arguments: [
            ("login.example.com", "login.example.com", nil), ("Login.Example.COM.:8443", "login.example.com", 8443),
            ("127.0.0.1:8080", "127.0.0.1", 8080), ("[::1]:8080", "[::1]", 8080), ("localhost", "localhost", nil),
        ] as [(String, String, Int?)]
    )
    func aHostHeaderIsNormalised(value: String, name: String, port: Int?) throws {
        let host = try #require(HostHeader(value))
        #expect(host.name == name)
        #expect(host.port == port)
    }

    @Test(arguments: ["", "evil example", "a/b", "user@host", "host:", "host:99999", "host:8o", "..", ".example.com", "a..b", "[zz]", "%65vil"])
    func anythingElseIsNotAHost(value: String) {
        #expect(HostHeader(value) == nil)
    }

    @Test func onlyTheListedNamesAreAllowedWhateverThePort() throws {
        let allowed = try AllowedHosts(["login.example.com", "127.0.0.1:8080"])
        #expect(allowed.allows(try #require(HostHeader("LOGIN.example.com:443"))))
        #expect(allowed.allows(try #require(HostHeader("127.0.0.1"))))
        #expect(!allowed.allows(try #require(HostHeader("rebind.evil.example"))))
    }

    @Test func aStarAllowsAnyHostAndSaysSo() throws {
        let any = try AllowedHosts(["*"])
        #expect(any.allowsAny)
        #expect(any.allows(try #require(HostHeader("anything.example"))))
    }

    @Test func aBadNameIsRefusedWhenConfigured() {
        #expect(throws: AllowedHosts.Problem.self) { try AllowedHosts(["login.example.com", "evil example"]) }
        #expect(throws: AllowedHosts.Problem.self) { try AllowedHosts([]) }
    }

    @Test func theDefaultFollowsThePublicURLThenTheListenAddress() throws {
        var configuration = AppConfiguration()
        #expect(try configuration.resolvedAllowedHosts().description == "127.0.0.1, localhost")
        configuration.publicURL = try PublicURL("https://login.example.com")
        #expect(try configuration.resolvedAllowedHosts().description == "login.example.com")
        configuration.publicURL = nil
        configuration.host = "0.0.0.0"
        #expect(throws: AllowedHosts.Problem.self) { try configuration.resolvedAllowedHosts() }
    }
}
