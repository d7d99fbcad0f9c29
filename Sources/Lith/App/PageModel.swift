/// What a page template is rendered with: text, flags, and small objects of
/// text (the signed-in user, the flash). Typed, rather than `[String: Any]`,
/// so a page's *shape* — which sections are on — can be told from its values.
public enum PageValue: Sendable, Equatable {
    case text(String)
    case flag(Bool)
    case object(PageObject)
}

extension PageValue: ExpressibleByStringLiteral, ExpressibleByBooleanLiteral {
    public init(stringLiteral value: String) { self = .text(value) }
    public init(booleanLiteral value: Bool) { self = .flag(value) }
}

/// A page's values by name, in the order they were added.
///
/// A page has a handful of keys, so a list beats a hash table: no key is
/// hashed to build the model, and a compiled shape (``PageShape``), which
/// records the same order, finds each text by its position.
public struct PageModel: Sendable, ExpressibleByDictionaryLiteral {
    struct Entry: Sendable {
        let key: String
        var value: PageValue
    }

    private(set) var entries: [Entry] = []

    public init() {}

    /// Duplicate keys are a programming error, as in a dictionary literal.
    public init(dictionaryLiteral elements: (String, PageValue)...) {
        entries.reserveCapacity(elements.count)
        for (key, value) in elements {
            precondition(index(of: key) == nil, "duplicate key \(key) in a page model")
            entries.append(Entry(key: key, value: value))
        }
    }

    /// Setting `nil` removes the key; setting an existing key keeps its place.
    public subscript(key: String) -> PageValue? {
        get { index(of: key).map { entries[$0].value } }
        set {
            switch (index(of: key), newValue) {
            case (let index?, let value?): entries[index].value = value
            case (let index?, nil): entries.remove(at: index)
            case (nil, let value?): entries.append(Entry(key: key, value: value))
            case (nil, nil): break
            }
        }
    }

    public var count: Int { entries.count }
    public var keys: [String] { entries.map(\.key) }

    public mutating func reserveCapacity(_ capacity: Int) {
        entries.reserveCapacity(capacity)
    }

    private func index(of key: String) -> Int? {
        entries.firstIndex { $0.key == key }
    }

    /// A handler's model, with room for the keys the layout adds (title,
    /// form token, signed-in user, flash) and for a form's error messages:
    /// adding them must not grow the list.
    static func page(_ entries: KeyValuePairs<String, PageValue>) -> PageModel {
        let errorMessages = 2
        var model = PageModel()
        model.reserveCapacity(entries.count + Pages.layoutKeyCount + errorMessages)
        for (key, value) in entries { model[key] = value }
        return model
    }
}

/// A small object of texts, such as `{{#current_user}}{{email}}{{/current_user}}`
/// reads; its fields in the order they were given.
public struct PageObject: Sendable, Equatable, ExpressibleByDictionaryLiteral {
    struct Field: Sendable, Equatable {
        let name: String
        let text: String
    }

    let fields: [Field]

    public init(dictionaryLiteral elements: (String, String)...) {
        var fields: [Field] = []
        fields.reserveCapacity(elements.count)
        for (name, text) in elements {
            precondition(!fields.contains { $0.name == name }, "duplicate field \(name) in a page object")
            fields.append(Field(name: name, text: text))
        }
        self.fields = fields
    }

    public subscript(name: String) -> String? {
        fields.first { $0.name == name }?.text
    }
}
