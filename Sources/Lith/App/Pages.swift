import Foundation
import Hummingbird
import Mustache

/// The app's HTML: mustache templates parsed once at start-up, rendered with
/// HTML escaping, wrapped in responses that say they are HTML.
public struct Pages: Sendable {
    let templates: CompiledTemplates
    let stylesheet: ByteBuffer

    /// Loads the templates and stylesheet shipped with the package, from the
    /// `lith_Lith.resources` folder SwiftPM puts beside the binary.
    public static func load() async throws -> Pages {
        let bundle = try resourceBundle()
        let library = try await MustacheLibrary(directory: bundle.appendingPathComponent("Templates").path)
        let css = try String(contentsOf: bundle.appendingPathComponent("Assets/style.css"), encoding: .utf8)
        return Pages(templates: CompiledTemplates(library: library), stylesheet: ByteBuffer(string: css))
    }

    /// Where SwiftPM's generated `Bundle.module` would look first, checked by
    /// hand: `Bundle.module` traps when the folder is missing (a binary copied
    /// without it), and a clear error is better than a crash.
    static func resourceBundle() throws -> URL {
        let name = "lith_Lith.resources"
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
            "templates not found: copy the lith_Lith.resources folder from .build/<configuration>/ next to the lith binary (looked in \(searched.joined(separator: ", ")))"
        }
    }

    /// Renders `template` inside the layout, with the navbar and flash of this request.
    func render(
        _ template: String, title: String, status: HTTPResponse.Status = .ok, auth: AuthState, _ model: consuming PageModel = [:]
    ) -> Response {
        Response(status: status, headers: Self.htmlHeaders, body: .init(byteBuffer: html(template, title: title, status: status, auth: auth, consume model)))
    }

    /// Built once: a header literal validates its bytes every time it is made.
    static let htmlHeaders: HTTPFields = [.contentType: "text/html; charset=utf-8"]

    /// How many keys `html` adds to a handler's model.
    static let layoutKeyCount = 4

    /// `model` is consumed: the handler's model gets the layout's keys
    /// in place instead of being copied first.
    func html(_ template: String, title: String, status: HTTPResponse.Status, auth: AuthState, _ model: consuming PageModel) -> ByteBuffer {
        model.reserveCapacity(model.count + Self.layoutKeyCount)
        model["title"] = .text(title)
        model["csrf_token"] = .text(auth.csrfToken)
        if let user = auth.user { model["current_user"] = .object(["email": user.email.value]) }
        if let flash = auth.flash { model["flash"] = .object(["message": flash.message, "kind": flash.kind]) }
        return templates.render(template, model) ?? ByteBuffer(string: "<!doctype html><title>\(status.code)</title>")
    }

    /// The dashboard as a signed-in request renders it, for the micro-benchmarks
    /// (`Benchmarks/`), which measure rendering apart from HTTP.
    @_spi(Benchmarks) public func dashboardHTML(user: User, session: SessionRecord, csrfToken: String) -> ByteBuffer {
        var auth = AuthState()
        auth.user = user
        auth.session = session
        auth.issuedCSRFToken = csrfToken
        return html("dashboard", title: "Dashboard", status: .ok, auth: auth, DashboardHandler.model(user: user, session: session))
    }
}

extension String {
    /// What a form may echo back of a rejected value: control characters
    /// (NUL among them) would show as something the person never typed.
    var withoutControlCharacters: String {
        // Most echoes are printable ASCII: nothing to filter, no scalar walk.
        if utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) { return self }
        return String(String.UnicodeScalarView(unicodeScalars.filter { $0.properties.generalCategory != .control }))
    }
}
