/// What a page template is rendered with: text, flags, and small objects of
/// text (the signed-in user, the flash). Typed, rather than `[String: Any]`,
/// so a page's *shape* — which sections are on — can be told from its values.
public enum PageValue: Sendable, Equatable {
    case text(String)
    case flag(Bool)
    case object([String: String])
}

public typealias PageModel = [String: PageValue]

extension PageValue: ExpressibleByStringLiteral, ExpressibleByBooleanLiteral {
    public init(stringLiteral value: String) { self = .text(value) }
    public init(booleanLiteral value: Bool) { self = .flag(value) }
}

extension PageModel {
    /// A handler's model, with room for the keys the layout adds (title,
    /// form token, signed-in user, flash) and for a form's error messages:
    /// adding them must not grow the table, which on the dashboard cost more
    /// than filling it.
    static func page(_ entries: KeyValuePairs<String, PageValue>) -> PageModel {
        let errorMessages = 2
        var model = PageModel(minimumCapacity: entries.count + Pages.layoutKeyCount + errorMessages)
        for (key, value) in entries { model[key] = value }
        return model
    }
}
