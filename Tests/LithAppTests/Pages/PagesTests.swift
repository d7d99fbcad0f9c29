import Foundation
import Hummingbird
@_spi(Testing) import Lith
@_spi(Testing) import LithTestSupport
import Logging
import Mustache
import NIOCore
import Testing

@testable import LithApp

/// The app's pages: what templates may use, how texts are escaped, and what
/// a page that can't render becomes.
@Suite("Pages")
struct PagesTests {
    @Test(arguments: ["<p>{{{raw}}}</p>", "<p>{{& raw}}</p>", "{{uppercased(name)}}", "{{%CONTENT_TYPE:TEXT}}", "{{=<% %>=}}", "<p>{{open"])
    func aTemplateUsingWhatTheCompiledRendererCantFollowIsRefused(template: String) {
        #expect(throws: TemplateCheck.Unsupported.self) { try TemplateCheck.check(template, name: "page.mustache") }
    }

    @Test func escapedVariablesSectionsPartialsAndCommentsAreFine() throws {
        try TemplateCheck.check("{{! a comment (with parentheses) }}{{> top}}{{#on}}<p>{{name}}</p>{{/on}}{{^on}}off{{/on}}", name: "page.mustache")
    }

    @Test func theShippedTemplatesAllPassTheCheck() async throws {
        _ = try await Pages.load()
    }

    @Test func aQuoteFollowedByACombiningMarkIsStillEscaped() async throws {
        // given a text whose quote and accent make one Character, which
        // swift-mustache's own escaper (Character by Character) lets through
        let text = "x\"\u{301} onmouseover=alert(1)"
        var direct = MustacheLibrary()
        try direct.register("<a title=\"{{t}}\">", named: "t")
        #expect(direct.render(["t": text], withTemplate: "t")?.contains("\"\u{301}") == true)
        // when Lith renders it into an attribute
        var buffer = ByteBuffer()
        CompiledTemplates.writeEscaped(text, to: &buffer)
        // then the quote is escaped byte by byte, and can't end the attribute
        let escaped = String(buffer: buffer)
        #expect(escaped == "x&quot;\u{301} onmouseover=alert(1)")
        #expect(!escaped.contains("\""))
    }

    struct MissingPage: Page {
        static let template = "no-such-template"
        var title: String { "Missing" }
        func fill(_ model: inout PageModel) {}
    }

    @Test func aPageThatFailsToRenderIsA500PageNeverABlank200() async throws {
        let pages = try await Pages.load(logger: Logger(label: "test"))
        let response = pages.render(MissingPage(), auth: AuthState())
        #expect(response.status == .internalServerError)
        let collected = Collected()
        try await response.body.write(CollectingWriter(into: collected))
        #expect(collected.text.contains("Something went wrong"))
    }

    /// A response body, as the writer hands it over.
    final class Collected: @unchecked Sendable {
        var text = ""
    }

    struct CollectingWriter: ResponseBodyWriter {
        let into: Collected
        mutating func write(_ buffer: ByteBuffer) async throws { into.text += String(buffer: buffer) }
        consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
    }
}
