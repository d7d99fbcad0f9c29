@_spi(Testing) import Lith
@_spi(Testing) import LithTestSupport
import Testing

@Suite("Form decoding")
struct FormDataTests {
    @Test func decodesPlusAndPercentEscapes() throws {
        let form = try FormData(urlEncoded: Array("email=ada%40example.com&password=a+b%2Bc&empty=&flag".utf8))
        #expect(form["email"] == "ada@example.com")
        #expect(form["password"] == "a b+c")
        #expect(form["empty"] == "")
        #expect(form["flag"] == "")
        #expect(form["missing"] == nil)
    }

    @Test func theFirstValueOfARepeatedFieldWins() throws {
        #expect(try FormData(urlEncoded: Array("a=1&a=2".utf8))["a"] == "1")
    }

    @Test(arguments: [
        ("a=%", FormData.Problem.malformedEncoding), ("a=%4", .malformedEncoding), ("a=%zz", .malformedEncoding), ("a=%FF", .invalidUTF8),
        ("a=%C3%28", .invalidUTF8),
    ])
    func malformedBodiesAreRefused(body: String, problem: FormData.Problem) {
        #expect(throws: problem) { try FormData(urlEncoded: Array(body.utf8)) }
    }

    @Test func theNumberOfFieldsIsBounded() {
        let body = (0..<100).map { "f\($0)=x" }.joined(separator: "&")
        #expect(throws: FormData.Problem.tooManyFields) { try FormData(urlEncoded: Array(body.utf8)) }
    }
}
