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
        // A page with rows (the account page) has as many shapes as row
        // counts: compiled for the request, not kept.
        let cacheable = !model.hasList
        let cached = cacheable ? cache.withLockedValue { cache in cache[fingerprint]?.first { $0.shape.matches(template, model) } } : nil
        guard let compiled = cached ?? compile(template, model, fingerprint: fingerprint, keep: cacheable) else { return nil }
        var output = Self.allocator.buffer(capacity: compiled.markup.count + 256)
        compiled.markup.withUnsafeBytes { markup in
            var start = 0
            for piece in compiled.pieces {
                output.writeBytes(UnsafeRawBufferPointer(rebasing: markup[start..<piece.markupEnd]))
                start = piece.markupEnd
                if let slot = piece.slot { Self.writeEscaped(Self.text(at: slot, in: model), to: &output) }
            }
        }
        return output
    }

    /// What mustache itself renders: the reference the cache must agree with.
    func renderDirectly(_ template: String, _ model: PageModel) -> String? {
        library.render(Self.mustacheModel(model) { _, string in string }, withTemplate: template)
    }

    // MARK: compiling a shape

    /// The page's static bytes in one piece, and where the texts go in them:
    /// rendering writes no more than it must and retains nothing per piece.
    private struct Compiled: Sendable {
        let shape: PageShape
        let markup: [UInt8]
        let pieces: [Piece]
    }

    /// The markup up to `markupEnd`, then the text of `slot`, if any.
    private struct Piece: Sendable {
        let markupEnd: Int
        let slot: Slot?
    }

    /// Where a text is in the model: the entry's position, the row's for a
    /// list, and the field's for an object or a row. Valid for every model of
    /// the shape (``PageShape`` fixes the order).
    private struct Slot: Sendable {
        let entry: Int
        var row: Int? = nil
        let field: Int?
    }

    private func compile(_ template: String, _ model: PageModel, fingerprint: Int, keep: Bool) -> Compiled? {
        var slots: [Slot] = []
        let marked = Self.mustacheModel(model) { slot, _ in
            slots.append(slot)
            return Self.marker(slots.count - 1)
        }
        guard let rendered = library.render(marked, withTemplate: template) else { return nil }
        let compiled = Self.split(rendered, slots: slots, shape: PageShape(template, model))
        guard keep else { return compiled }
        cache.withLockedValue { cache in
            if cache.values.reduce(0, { $0 + $1.count }) < Self.maximumShapes { cache[fingerprint, default: []].append(compiled) }
        }
        return compiled
    }

    private static let allocator = ByteBufferAllocator()

    /// Private-use characters: never in Lith's templates, never escaped by mustache.
    private static let open: Unicode.Scalar = "\u{F8F0}"
    private static let close: Unicode.Scalar = "\u{F8F1}"

    private static func marker(_ index: Int) -> String {
        "\(Character(open))\(index)\(Character(close))"
    }

    private static func split(_ rendered: String, slots: [Slot], shape: PageShape) -> Compiled {
        var pieces: [Piece] = []
        var markup: [UInt8] = []
        var scalars = rendered.unicodeScalars.makeIterator()
        while let scalar = scalars.next() {
            guard scalar == open else {
                UTF8.encode(scalar) { markup.append($0) }
                continue
            }
            var digits = ""
            while let digit = scalars.next(), digit != close { digits.unicodeScalars.append(digit) }
            if let index = Int(digits), slots.indices.contains(index) { pieces.append(Piece(markupEnd: markup.count, slot: slots[index])) }
        }
        pieces.append(Piece(markupEnd: markup.count, slot: nil))
        return Compiled(shape: shape, markup: markup, pieces: pieces)
    }

    // MARK: models

    /// The model as mustache takes it, with every non-empty text replaced by
    /// `text(slot, value)`: the value itself for direct rendering, a marker
    /// for compiling. An empty text is left out: to mustache an empty string
    /// is still "present" and would switch its section on (`{{#next}}` with
    /// no `next`), while a missing key renders as nothing and switches it off.
    private static func mustacheModel(_ model: PageModel, text: (Slot, String) -> String) -> [String: Any] {
        var result: [String: Any] = [:]
        for (index, entry) in model.entries.enumerated() {
            switch entry.value {
            case .text(let string):
                if !string.isEmpty { result[entry.key] = text(Slot(entry: index, field: nil), string) }
            case .flag(let flag):
                result[entry.key] = flag
            case .object(let object):
                result[entry.key] = fields(object) { fieldIndex, string in text(Slot(entry: index, field: fieldIndex), string) }
            case .list(let rows):
                // An empty list is left out, like an empty text: no rows, no section.
                if !rows.isEmpty {
                    result[entry.key] = rows.enumerated().map { rowIndex, row in
                        fields(row) { fieldIndex, string in text(Slot(entry: index, row: rowIndex, field: fieldIndex), string) }
                    }
                }
            }
        }
        return result
    }

    private static func fields(_ object: PageObject, text: (Int, String) -> String) -> [String: Any] {
        var fields: [String: Any] = [:]
        for (index, field) in object.fields.enumerated() where !field.text.isEmpty {
            fields[field.name] = text(index, field.text)
        }
        return fields
    }

    private static func text(at slot: Slot, in model: PageModel) -> String {
        switch model.entries[slot.entry].value {
        case .text(let string): slot.field == nil ? string : ""
        case .object(let object): slot.field.map { object.fields[$0].text } ?? ""
        case .list(let rows): slot.row.flatMap { row in slot.field.map { rows[row].fields[$0].text } } ?? ""
        case .flag: ""
        }
    }

    /// HTML-escapes a text byte by byte: `<`, `>`, `&`, `"` and `'`, over its
    /// UTF-8 bytes in place (walking `String.UTF8View` by index was the
    /// largest part of rendering a dashboard).
    ///
    /// This is Lith's XSS boundary: every text a visitor can influence
    /// reaches a page through here, never through swift-mustache's own
    /// escaper, which compares whole Characters and so lets a `"` followed by
    /// a combining mark (one Character) through unescaped — while an HTML
    /// tokenizer still sees the `"` and ends the attribute. Byte by byte, that
    /// `"` is escaped like any other (a test pins it).
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
