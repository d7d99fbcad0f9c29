import Foundation
import Hummingbird
import Lith
import Logging
import Mustache

/// The app's HTML: mustache templates checked and parsed once at start-up,
/// rendered with HTML escaping, wrapped in responses that say they are HTML.
public struct Pages: Sendable {
    let templates: CompiledTemplates
    let stylesheet: ByteBuffer
    let logger: Logger

    /// Loads the templates and stylesheet shipped with the app, from the
    /// `lith_LithApp.resources` folder SwiftPM puts beside the binary, and
    /// refuses templates that use what the compiled renderer can't follow.
    public static func load(logger: Logger = Logger(label: "lith")) async throws -> Pages {
        let bundle = try resourceBundle()
        let folder = bundle.appendingPathComponent("Templates")
        for file in try FileManager.default.contentsOfDirectory(atPath: folder.path) where file.hasSuffix(".mustache") {
            let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
            try TemplateCheck.check(text, name: file)
        }
        let library = try await MustacheLibrary(directory: folder.path)
        let css = try String(contentsOf: bundle.appendingPathComponent("Assets/style.css"), encoding: .utf8)
        return Pages(templates: CompiledTemplates(library: library), stylesheet: ByteBuffer(string: css), logger: logger)
    }

    static let resourceFolderName = "lith_LithApp.resources"

    /// Where SwiftPM's generated `Bundle.module` would look first, checked by
    /// hand: `Bundle.module` traps when the folder is missing (a binary copied
    /// without it), and a clear error is better than a crash.
    static func resourceBundle() throws -> URL {
        let name = resourceFolderName
        let candidates = [
            Bundle.main.bundleURL.appendingPathComponent(name),
            URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent(name),
        ]
        guard let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0.appendingPathComponent("Templates").path) })
        else { throw ResourcesMissing(searched: candidates.map(\.path)) }
        return found
    }

    /// The templates aren't where the binary expects them.
    public struct ResourcesMissing: Error, CustomStringConvertible {
        public let searched: [String]
        public var description: String {
            "templates not found: copy the \(Pages.resourceFolderName) folder from .build/<configuration>/ next to the lith binary (looked in \(searched.joined(separator: ", ")))"
        }
    }

    /// `page` inside the layout, with the navbar and flash of this request.
    /// A page that fails to render is logged and answered with the 500
    /// page, never a blank 200.
    func render<P: Page>(_ page: P, status: HTTPResponse.Status = .ok, auth: AuthState) -> Response {
        if let html = html(page, auth: auth) {
            return Response(status: status, headers: Self.htmlHeaders, body: .init(byteBuffer: html))
        }
        logger.error("a page failed to render", metadata: ["template": "\(P.template)"])
        let failure = ErrorPage(heading: "Something went wrong", message: ErrorPages.failureMessage)
        let html = P.self == ErrorPage.self ? nil : self.html(failure, auth: auth)
        return Response(
            status: .internalServerError,
            headers: Self.htmlHeaders,
            body: .init(byteBuffer: html ?? ByteBuffer(string: "<!doctype html><title>500</title><p>Something went wrong.</p>"))
        )
    }

    /// Built once: a header literal validates its bytes every time it is made.
    static let htmlHeaders: HTTPFields = [.contentType: "text/html; charset=utf-8"]

    /// The page's own values, then the layout's, always in this order.
    func html<P: Page>(_ page: P, auth: AuthState) -> ByteBuffer? {
        var model = PageModel()
        model.reserveCapacity(20)
        page.fill(&model)
        model["title"] = .text(page.title)
        if P.isWide { model["wide"] = .flag(true) }
        // Signed-in pages carry the logout form; guests' only when the page
        // has a form of its own (a guest's 404 mints no CSRF nonce).
        if auth.isSignedIn || P.hasGuestForm { model["csrf_token"] = .text(auth.csrfToken) }
        if let user = auth.user { model["current_user"] = .object(["email": user.email.value]) }
        if let flash = auth.flash { model["flash"] = .object(["message": flash.message, "kind": flash.kind.rawValue]) }
        return templates.render(P.template, model)
    }

    /// The dashboard as a signed-in request renders it, for the micro-benchmarks
    /// (`Benchmarks/`), which measure rendering apart from HTTP.
    @_spi(Benchmarks) public func dashboardHTML(user: User, session: SessionRecord, csrfToken: String) -> ByteBuffer? {
        var model = PageModel()
        DashboardPage(user: user, session: session).fill(&model)
        model["title"] = "Dashboard"
        model["wide"] = .flag(true)
        model["csrf_token"] = .text(csrfToken)
        model["current_user"] = .object(["email": user.email.value])
        return templates.render(DashboardPage.template, model)
    }
}

/// What a template may use. The compiled renderer (``CompiledTemplates``)
/// replays mustache's output with the texts swapped, which is only right for
/// escaped variables, sections and partials; unescaped output (`{{{x}}}`,
/// `{{& x}}`), transforms (`{{upper(x)}}`), pragmas and delimiter changes
/// would silently render wrong, so a template using them is refused at start-up.
enum TemplateCheck {
    struct Unsupported: Error, CustomStringConvertible {
        let description: String
    }

    static func check(_ text: String, name: String) throws {
        var rest = text[...]
        while let open = rest.range(of: "{{") {
            guard let close = rest[open.upperBound...].range(of: "}}") else {
                throw Unsupported(description: "template \(name): a tag is never closed")
            }
            let tag = rest[open.upperBound..<close.lowerBound]
            if let first = tag.first, "{&%=".contains(first) {
                throw Unsupported(
                    description: "template \(name): '{{\(tag)}}' is not supported (unescaped output, pragmas and delimiter changes are refused)"
                )
            }
            if tag.first != "!", tag.contains("(") {
                throw Unsupported(description: "template \(name): '{{\(tag)}}' is not supported (transforms are refused)")
            }
            rest = rest[close.upperBound...]
        }
    }
}
