@_spi(Testing) import Lith
@_spi(Testing) import LithTestSupport
import Testing

@Suite("Safe redirects")
struct SafeRedirectTests {
    @Test(arguments: ["/dashboard", "/dashboard?tab=1&x=2", "/a/b#c", "/%2F%2Fevil.example", "/caf\u{E9}"])
    func sameOriginPathsAreFollowed(path: String) {
        #expect(SafeRedirect.path(path) == path)
    }

    @Test(arguments: [
        "//evil.example", "///evil.example", "/\\evil.example", "\\\\evil.example", "https://evil.example", "http:evil.example",
        "javascript:alert(1)", "data:text/html,x", "evil.example/path", "/\t/evil.example", "/\n/evil.example", "/\r\n/x",
        " /dashboard", "/dash board", "/a\u{0}b", "", "/\u{202E}x",
    ])
    func everythingElseIsRefused(candidate: String) {
        #expect(SafeRedirect.path(candidate) == nil)
    }

    @Test func nilAndOverlongAreRefused() {
        #expect(SafeRedirect.path(nil) == nil)
        #expect(SafeRedirect.path("/" + String(repeating: "a", count: 4096)) == nil)
    }
}
