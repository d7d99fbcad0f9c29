/// What a page template is rendered with: text, flags, and small objects of
/// text (the signed-in user, the flash). Typed, rather than `[String: Any]`,
/// so a page's *shape* — which sections are on — can be told from its values.
enum PageValue: Sendable, Equatable {
    case text(String)
    case flag(Bool)
    case object(PageObject)
    /// Rows of a table or list (`{{#sessions}}…{{/sessions}}`); empty
    /// switches the section off, as an empty text does.
    case list([PageObject])
}

extension PageValue: ExpressibleByStringLiteral, ExpressibleByBooleanLiteral {
    init(stringLiteral value: String) { self = .text(value) }
    init(booleanLiteral value: Bool) { self = .flag(value) }
}

/// A page's values by name, in the order they were added.
///
/// A page has a handful of keys, so a list beats a hash table: no key is
/// hashed to build the model, and a compiled shape (``PageShape``), which
/// records the same order, finds each text by its position.
struct PageModel: Sendable, ExpressibleByDictionaryLiteral {
    struct Entry: Sendable {
        let key: String
        var value: PageValue
    }

    private(set) var entries: [Entry] = []

    init() {}

    /// Duplicate keys are a programming error, as in a dictionary literal.
    init(dictionaryLiteral elements: (String, PageValue)...) {
        entries.reserveCapacity(elements.count)
        for (key, value) in elements {
            precondition(index(of: key) == nil, "duplicate key \(key) in a page model")
            entries.append(Entry(key: key, value: value))
        }
    }

    /// Setting `nil` removes the key; setting an existing key keeps its place.
    subscript(key: String) -> PageValue? {
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

    var count: Int { entries.count }
    var keys: [String] { entries.map(\.key) }

    mutating func reserveCapacity(_ capacity: Int) {
        entries.reserveCapacity(capacity)
    }

    private func index(of key: String) -> Int? {
        entries.firstIndex { $0.key == key }
    }
}

/// A small object of texts, such as `{{#current_user}}{{email}}{{/current_user}}`
/// reads; its fields in the order they were given.
struct PageObject: Sendable, Equatable, ExpressibleByDictionaryLiteral {
    struct Field: Sendable, Equatable {
        let name: String
        let text: String
    }

    let fields: [Field]

    init(dictionaryLiteral elements: (String, String)...) {
        var fields: [Field] = []
        fields.reserveCapacity(elements.count)
        for (name, text) in elements {
            precondition(!fields.contains { $0.name == name }, "duplicate field \(name) in a page object")
            fields.append(Field(name: name, text: text))
        }
        self.fields = fields
    }

    subscript(name: String) -> String? {
        fields.first { $0.name == name }?.text
    }
}

extension PageModel {
    /// Whether any value is a list: a page whose shape changes with the
    /// number of rows, compiled for each request rather than cached.
    var hasList: Bool {
        entries.contains { if case .list = $0.value { true } else { false } }
    }
}
