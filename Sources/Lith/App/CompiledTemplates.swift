import Mustache
import NIOConcurrencyHelpers
import NIOCore

/// Renders mustache templates without walking them on every request.
///
/// For a given *shape* of model (``PageShape``: which keys are present, which
/// flags are on, which texts are empty) a template always produces the same markup
/// around the same interpolated texts. So the first time a shape is seen, the
/// template is rendered once through swift-mustache with a unique marker in
/// place of every non-empty text, and the output is cut at the markers into
/// static chunks and slots. Every later page of that shape is the chunks with
/// the real texts, HTML-escaped exactly as mustache escapes, in the slots.
/// Mustache stays the template language and the reference renderer; this is
/// a cache of its output, keyed so that it can't serve the wrong markup.
final class CompiledTemplates: Sendable {
    private let library: MustacheLibrary
    /// By ``PageShape/fingerprint(_:_:)``; a list, since two shapes may share one.
    private let cache = NIOLockedValueBox<[Int: [Compiled]]>([:])
    /// Shapes are few (a handful per page); this only guards against a bug
    /// that would make them unbounded.
    private static let maximumShapes = 512

    init(library: MustacheLibrary) {
        self.library = library
    }

    /// The page, as mustache would render `model` with `template`.
    func render(_ template: String, _ model: PageModel) -> ByteBuffer? {
        let fingerprint = PageShape.fingerprint(template, model)
        let cached = cache.withLockedValue { cache in cache[fingerprint]?.first { $0.shape.matches(template, model) } }
        let compiled = cached ?? compile(template, model, fingerprint: fingerprint)
        guard let compiled else { return nil }
        var output = ByteBuffer()
        output.reserveCapacity(compiled.size + 256)
        for part in compiled.parts {
            switch part {
            case .markup(let bytes): output.writeBytes(bytes)
            case .slot(let path): Self.writeEscaped(Self.text(at: path, in: model) ?? "", to: &output)
            }
        }
        return output
    }

    /// What mustache itself renders: the reference the cache must agree with.
    func renderDirectly(_ template: String, _ model: PageModel) -> String? {
        library.render(Self.mustacheModel(model) { _, string in string }, withTemplate: template)
    }

    // MARK: compiling a shape

    private struct Compiled: Sendable {
        let shape: PageShape
        let parts: [Part]
        let size: Int
    }

    private enum Part: Sendable {
        case markup([UInt8])
        /// The model key, and the field for an object's text.
        case slot(Path)
    }

    private struct Path: Sendable, Hashable {
        let key: String
        let field: String?
    }

    private func compile(_ template: String, _ model: PageModel, fingerprint: Int) -> Compiled? {
        var paths: [Path] = []
        let marked = Self.mustacheModel(model) { path, _ in
            paths.append(path)
            return Self.marker(paths.count - 1)
        }
        guard let rendered = library.render(marked, withTemplate: template) else { return nil }
        let compiled = Self.split(rendered, paths: paths, shape: PageShape(template, model))
        cache.withLockedValue { cache in
            if cache.values.reduce(0, { $0 + $1.count }) < Self.maximumShapes { cache[fingerprint, default: []].append(compiled) }
        }
        return compiled
    }

    /// Private-use characters: never in Lith's templates, never escaped by mustache.
    private static let open: Unicode.Scalar = "\u{F8F0}"
    private static let close: Unicode.Scalar = "\u{F8F1}"

    private static func marker(_ index: Int) -> String {
        "\(Character(open))\(index)\(Character(close))"
    }

    private static func split(_ rendered: String, paths: [Path], shape: PageShape) -> Compiled {
        var parts: [Part] = []
        var markup = ""
        var scalars = rendered.unicodeScalars.makeIterator()
        var size = 0
        while let scalar = scalars.next() {
            guard scalar == open else {
                markup.unicodeScalars.append(scalar)
                continue
            }
            var digits = ""
            while let digit = scalars.next(), digit != close { digits.unicodeScalars.append(digit) }
            let bytes = Array(markup.utf8)
            size += bytes.count
            parts.append(.markup(bytes))
            markup = ""
            if let index = Int(digits), paths.indices.contains(index) { parts.append(.slot(paths[index])) }
        }
        let bytes = Array(markup.utf8)
        size += bytes.count
        parts.append(.markup(bytes))
        return Compiled(shape: shape, parts: parts, size: size)
    }

    // MARK: models

    /// The model as mustache takes it, with every non-empty text replaced by
    /// `text(path, value)`: the value itself for direct rendering, a marker
    /// for compiling. Empty texts stay empty, since they switch sections off.
    private static func mustacheModel(_ model: PageModel, text: (Path, String) -> String) -> [String: Any] {
        var result: [String: Any] = [:]
        for key in model.keys.sorted() {
            switch model[key]! {
            case .text(let string):
                result[key] = string.isEmpty ? "" : text(Path(key: key, field: nil), string)
            case .flag(let flag):
                result[key] = flag
            case .object(let fields):
                var object: [String: Any] = [:]
                for field in fields.keys.sorted() {
                    let string = fields[field]!
                    object[field] = string.isEmpty ? "" : text(Path(key: key, field: field), string)
                }
                result[key] = object
            }
        }
        return result
    }

    private static func text(at path: Path, in model: PageModel) -> String? {
        switch model[path.key] {
        case .text(let string): return path.field == nil ? string : nil
        case .object(let fields): return path.field.flatMap { fields[$0] }
        default: return nil
        }
    }

    /// Escapes exactly what swift-mustache's `htmlEscape` escapes, over the
    /// text's UTF-8 bytes in place (walking `String.UTF8View` by index was
    /// the largest part of rendering a dashboard).
    static func writeEscaped(_ text: String, to buffer: inout ByteBuffer) {
        var text = text
        text.withUTF8 { bytes in
            var start = 0
            for index in bytes.indices {
                let replacement: StaticString
                switch bytes[index] {
                case UInt8(ascii: "<"): replacement = "&lt;"
                case UInt8(ascii: ">"): replacement = "&gt;"
                case UInt8(ascii: "&"): replacement = "&amp;"
                case UInt8(ascii: "\""): replacement = "&quot;"
                case UInt8(ascii: "'"): replacement = "&#39;"
                default: continue
                }
                buffer.writeBytes(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes[start..<index])))
                buffer.writeStaticString(replacement)
                start = index + 1
            }
            buffer.writeBytes(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes[start...])))
        }
    }
}
