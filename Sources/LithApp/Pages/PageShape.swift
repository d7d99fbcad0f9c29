/// What of a page model decides the markup around its texts: the template,
/// which keys are present, in which order, which flags are on, which texts
/// (and object fields) are empty, since an empty text switches a section off.
/// Two models of one shape render the same markup with different texts in it,
/// and hold each text at the same position, which is how a compiled page
/// finds it.
///
/// The order is part of the shape: a handler builds its model the same way
/// every time, so one page has few shapes, and a model with its keys in
/// another order is simply another shape, compiled on its own.
struct PageShape: Sendable, Equatable {
    let template: String
    private let entries: [Entry]

    private struct Entry: Sendable, Equatable {
        let key: String
        let value: Value
    }

    private enum Value: Sendable, Equatable {
        case text(empty: Bool)
        case flag(Bool)
        /// Each field's name, and whether it is empty.
        case object([Field])
        /// Each row's fields.
        case list([[Field]])
    }

    private struct Field: Sendable, Equatable {
        let name: String
        let empty: Bool
    }

    init(_ template: String, _ model: PageModel) {
        self.template = template
        self.entries = model.entries.map { entry in
            switch entry.value {
            case .text(let string): Entry(key: entry.key, value: .text(empty: string.isEmpty))
            case .flag(let flag): Entry(key: entry.key, value: .flag(flag))
            case .object(let object):
                Entry(key: entry.key, value: .object(Self.fields(object)))
            case .list(let rows):
                Entry(key: entry.key, value: .list(rows.map(Self.fields)))
            }
        }
    }

    private static func fields(_ object: PageObject) -> [Field] {
        object.fields.map { Field(name: $0.name, empty: $0.text.isEmpty) }
    }

    /// The same number for every model of one shape; computed without
    /// building a shape, since it runs on every page. Different shapes may
    /// share a number: ``matches(_:_:)`` decides.
    ///
    /// FNV-1a over the names and what decides the markup: keys are a few
    /// bytes each, and a keyed hash (SipHash, `Hasher`) costs more than the
    /// rest of the lookup. Nothing here comes from a visitor except which
    /// texts are empty, so collisions can't be steered into a slow path.
    static func fingerprint(_ template: String, _ model: PageModel) -> Int {
        var hash = FNV1a()
        hash.add(template)
        for entry in model.entries {
            hash.add(entry.key)
            switch entry.value {
            case .text(let string): hash.add(string.isEmpty ? 0 : 1)
            case .flag(let flag): hash.add(flag ? 2 : 3)
            case .object(let object):
                hash.add(object)
            case .list(let rows):
                hash.add(6)
                for row in rows { hash.add(row) }
                hash.add(7)
            }
        }
        return Int(truncatingIfNeeded: hash.value)
    }

    /// Whether `model`, rendered with `template`, has this shape.
    func matches(_ template: String, _ model: PageModel) -> Bool {
        guard template == self.template, model.entries.count == entries.count else { return false }
        for (entry, expected) in zip(model.entries, entries) {
            guard entry.key == expected.key else { return false }
            switch (entry.value, expected.value) {
            case (.text(let string), .text(let empty)) where string.isEmpty == empty: continue
            case (.flag(let flag), .flag(let expected)) where flag == expected: continue
            case (.object(let object), .object(let fields)) where Self.fields(object) == fields:
                continue
            case (.list(let rows), .list(let expected)) where rows.map(Self.fields) == expected:
                continue
            default: return false
            }
        }
        return true
    }
}

/// 64-bit FNV-1a; each string is followed by a byte UTF-8 never contains, so
/// `"ab" + "c"` and `"a" + "bc"` differ.
private struct FNV1a {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    mutating func add(_ byte: UInt8) {
        value = (value ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
    }

    mutating func add(_ string: String) {
        for byte in string.utf8 { add(byte) }
        add(0xFF)
    }

    mutating func add(_ object: PageObject) {
        add(4)
        for field in object.fields {
            add(field.name)
            add(field.text.isEmpty ? 0 : 1)
        }
        add(5)
    }
}
