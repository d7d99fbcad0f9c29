import HTTPTypes
import Hummingbird
@_spi(Testing) import LithTestSupport
import Testing

@_spi(Testing) @testable import Lith

@Suite("Reading a cookie")
struct CookieValueTests {
    private func request(_ cookieHeaders: [String]) -> Request {
        var fields = HTTPFields()
        for header in cookieHeaders { fields.append(HTTPField(name: .cookie, value: header)) }
        return Request(head: HTTPRequest(method: .get, scheme: "http", authority: "x", path: "/", headerFields: fields), body: .init(buffer: .init()))
    }

    @Test func findsTheCookieByItsExactName() {
        let request = request(["lith_session_old=1; lith_session=abc; other=2"])
        #expect(request.cookieValue("lith_session") == "abc")
        #expect(request.cookieValue("lith_session_old") == "1")
        #expect(request.cookieValue("other") == "2")
        #expect(request.cookieValue("lith") == nil)
    }

    @Test func readsEveryCookieHeaderAndTakesTheFirstMatch() {
        let request = request(["a=1", "lith_csrf=first; lith_csrf=second"])
        #expect(request.cookieValue("lith_csrf") == "first")
        #expect(request.cookieValue("a") == "1")
    }

    @Test func anEmptyValueIsEmptyNotMissing() {
        #expect(request(["lith_flash="]).cookieValue("lith_flash") == "")
        #expect(request([]).cookieValue("lith_flash") == nil)
    }

    @Test func toleratesOddSpacingAndNonASCIINeighbours() {
        let request = request(["caf\u{E9}=cr\u{E8}me;lith_session=abc;  lith_csrf=n\u{301}o; ;"])
        #expect(request.cookieValue("lith_session") == "abc")
        #expect(request.cookieValue("lith_csrf") == "n\u{301}o")
        #expect(request.cookieValue("caf\u{E9}") == "cr\u{E8}me")
        #expect(request.cookieValue("") == nil)
    }
}
