import Foundation
import Hummingbird
import Mustache

/// The app's HTML: mustache templates parsed once at start-up, rendered with
/// HTML escaping, wrapped in responses that say they are HTML.
public struct Pages: Sendable {
    let library: MustacheLibrary
    let stylesheet: ByteBuffer

    /// Loads the templates and stylesheet shipped with the package.
    public static func load() async throws -> Pages {
        guard let templates = Bundle.module.path(forResource: "Templates", ofType: nil),
            let stylesheet = Bundle.module.path(forResource: "Assets/style", ofType: "css")
        else { throw PagesError.resourcesMissing }
        let library = try await MustacheLibrary(directory: templates)
        let css = try String(contentsOfFile: stylesheet, encoding: .utf8)
        return Pages(library: library, stylesheet: ByteBuffer(string: css))
    }

    enum PagesError: Error { case resourcesMissing }

    /// Renders `template` inside the layout, with the navbar and flash of this request.
    func render(
        _ template: String, title: String, status: HTTPResponse.Status = .ok, auth: AuthState, _ model: [String: Any] = [:]
    ) -> Response {
        var model = model
        model["title"] = title
        model["csrf_token"] = auth.csrfToken
        if let user = auth.user { model["current_user"] = ["email": user.email.value] }
        if let flash = auth.flash { model["flash"] = ["message": flash.message, "kind": flash.kind] }
        let html = library.render(model, withTemplate: template) ?? "<!doctype html><title>\(status.code)</title>"
        return Response(
            status: status,
            headers: [.contentType: "text/html; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: html))
        )
    }
}

extension String {
    /// What a form may echo back of a rejected value: control characters
    /// (NUL among them) would show as something the person never typed.
    var withoutControlCharacters: String {
        String(String.UnicodeScalarView(unicodeScalars.filter { $0.properties.generalCategory != .control }))
    }
}
