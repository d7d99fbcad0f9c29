import Foundation
@_spi(Testing) import LithTestSupport
import Mustache
import NIOCore
import Testing

@_spi(Testing) @testable import Lith
@testable import LithApp

/// The compiled-shape cache must render exactly what mustache renders.
@Suite("Compiled templates")
struct CompiledTemplatesTests {
    static let templates: CompiledTemplates = {
        var library = MustacheLibrary()
        try! library.register(
            "<p>{{title}}</p>{{#user}}<b>{{email}}</b>{{/user}}{{^user}}guest{{/user}}{{#error}}<em>{{error}}</em>{{/error}}"
                + "{{#on}}ON{{/on}}<input value=\"{{value}}\">{{> part}}",
            named: "page"
        )
        try! library.register("<i>{{title}}</i>", named: "part")
        return CompiledTemplates(library: library)
    }()

    static let models: [PageModel] = [
        ["title": "Hello", "value": "plain"],
        ["title": "<script>alert('x') & \"y\"</script>", "value": "a\"b'c<d>e&f", "on": true],
        ["title": "é ü 日本 🎉", "user": .object(["email": "ada@example.com"]), "error": "Bad & worse", "on": false],
        ["title": "", "value": "", "user": .object(["email": ""]), "error": ""],
        ["title": "x\u{F8F0}1\u{F8F1}y", "value": "\u{F8F0}0\u{F8F1}"],
    ]

    @Test(arguments: models)
    func rendersExactlyWhatMustacheRenders(model: PageModel) throws {
        let direct = try #require(Self.templates.renderDirectly("page", model))
        for _ in 0..<3 {  // first render compiles the shape, later ones reuse it
            let compiled = try #require(Self.templates.render("page", model))
            #expect(String(buffer: compiled) == direct)
        }
    }

    @Test func twoModelsOfOneShapeGetTheirOwnTexts() throws {
        let first = try #require(Self.templates.render("page", ["title": "one", "value": "1"]))
        let second = try #require(Self.templates.render("page", ["title": "two", "value": "2"]))
        #expect(String(buffer: first).contains("<p>one</p>"))
        #expect(String(buffer: second).contains("<p>two</p>"))
        #expect(!String(buffer: second).contains("one"))
    }

    @Test func shapesDifferWhenASectionWouldTurnOff() {
        let shape = PageShape("page", ["error": "x", "on": true, "user": .object(["email": "a"])])
        #expect(shape.matches("page", ["error": "y", "on": true, "user": .object(["email": "b"])]))
        #expect(!shape.matches("page", ["error": "", "on": true, "user": .object(["email": "b"])]))
        #expect(!shape.matches("page", ["error": "y", "on": false, "user": .object(["email": "b"])]))
        #expect(!shape.matches("page", ["error": "y", "on": true, "user": .object(["email": ""])]))
        #expect(!shape.matches("page", ["error": "y", "on": true, "user": .object(["email": "b", "name": "c"])]))
        #expect(!shape.matches("page", ["error": "y", "on": true]))
        #expect(!shape.matches("page", ["error": "y", "on": true, "user": .object(["email": "b"]), "more": "z"]))
        #expect(!shape.matches("other", ["error": "y", "on": true, "user": .object(["email": "b"])]))
    }

    @Test func oneShapeHasOneFingerprintWhateverTheTexts() {
        var first = PageModel()
        var second = PageModel()
        for index in 0..<20 { first["key\(index)"] = .text("a\(index)") }
        for index in 0..<20 { second["key\(index)"] = .text("b\(index)") }
        #expect(PageShape.fingerprint("page", first) == PageShape.fingerprint("page", second))
        #expect(PageShape("page", first).matches("page", second))
        #expect(PageShape.fingerprint("page", ["error": "x"]) != PageShape.fingerprint("page", ["error": ""]))
    }

    @Test func aModelKeepsItsKeysInOrderAndForgetsAKeySetToNil() {
        var model: PageModel = ["a": "1", "b": "2", "c": "3"]
        model["a"] = "one"
        model["b"] = nil
        model["d"] = true
        #expect(model.keys == ["a", "c", "d"])
        #expect(model["a"] == .text("one"))
        #expect(model["b"] == nil)
        #expect(model.count == 3)
    }

    @Test func keysInAnotherOrderAreAnotherShape() {
        // Texts are found by position, so the order must be part of the shape.
        let shape = PageShape("page", ["title": "t", "value": "v"])
        #expect(!shape.matches("page", ["value": "v", "title": "t"]))
        #expect(!PageShape("page", ["user": .object(["email": "a", "name": "b"])]).matches("page", ["user": .object(["name": "b", "email": "a"])]))
    }

    @Test func aModelWithItsKeysInAnotherOrderGetsItsOwnTextsInTheirPlaces() throws {
        // Given a page compiled with title before value
        _ = try #require(Self.templates.render("page", ["title": "first title", "value": "first value"]))
        // When the same keys come the other way round
        let model: PageModel = ["value": "second value", "title": "second title", "user": .object(["email": "e"])]
        let rendered = try #require(Self.templates.render("page", model))
        // Then each text is where mustache puts it
        #expect(String(buffer: rendered) == Self.templates.renderDirectly("page", model))
        #expect(String(buffer: rendered).contains("<p>second title</p>"))
    }

    @Test func aModelOfANewShapeIsNeverServedAnotherShapesMarkup() throws {
        // Given a page compiled with its flag on
        _ = try #require(Self.templates.render("page", ["title": "t", "on": true]))
        // When the same keys come with the flag off
        let rendered = try #require(Self.templates.render("page", ["title": "t", "on": false]))
        // Then the section is off, as mustache has it
        #expect(!String(buffer: rendered).contains("ON"))
        #expect(String(buffer: rendered) == Self.templates.renderDirectly("page", ["title": "t", "on": false]))
    }

    @Test func theAppsOwnPagesRenderAsMustacheDoes() async throws {
        let pages = try await Pages.load()
        let models: [(String, PageModel)] = [
            (
                "login",
                [
                    "title": "Log in", "csrf_token": "tok", "email": "a&b@example.com", "next": "/x?a=1&b=2", "remember_me": true,
                    "form_error": "Invalid email or password.", "flash": .object(["message": "You have been logged out.", "kind": "info"]),
                ]
            ),
            (
                "signup",
                ["title": "Sign up", "csrf_token": "tok", "email": "", "email_error": "Enter your email address.", "minimum_password_length": "8"]
            ),
            (
                "dashboard",
                [
                    "title": "Dashboard", "csrf_token": "tok", "current_user": .object(["email": "o'neil@example.com"]),
                    "email": "o'neil@example.com",
                    "signed_in_at": "2026-11-21 20:36 UTC", "signed_in_at_iso": "2026-11-21T20:36:00Z", "session_end": "later",
                ]
            ),
            ("error", ["title": "Page not found", "csrf_token": "", "heading": "Page not found", "message": "There is no page at this address."]),
        ]
        for (template, model) in models {
            let direct = try #require(pages.templates.renderDirectly(template, model))
            let compiled = try #require(pages.templates.render(template, model))
            #expect(String(buffer: compiled) == direct, "\(template)")
        }
    }
}
