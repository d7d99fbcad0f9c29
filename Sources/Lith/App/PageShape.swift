/// What of a page model decides the markup around its texts: the template,
/// which keys are present, which flags are on, which texts (and object
/// fields) are empty, since an empty text switches a section off. Two models
/// of one shape render the same markup with different texts in it.
struct PageShape: Sendable, Equatable {
    let template: String
    private let values: [String: Value]

    private enum Value: Sendable, Equatable {
        case text(empty: Bool)
        case flag(Bool)
        /// Each field, and whether it is empty.
        case object([String: Bool])
    }

    init(_ template: String, _ model: PageModel) {
        self.template = template
        self.values = model.mapValues { value in
            switch value {
            case .text(let string): .text(empty: string.isEmpty)
            case .flag(let flag): .flag(flag)
            case .object(let fields): .object(fields.mapValues(\.isEmpty))
            }
        }
    }

    /// The same number for every model of one shape, whatever order its
    /// dictionary holds the keys in; computed without building a shape,
    /// since it runs on every page. Different shapes may share a number:
    /// ``matches(_:_:)`` decides.
    static func fingerprint(_ template: String, _ model: PageModel) -> Int {
        var sum = template.hashValue
        for (name, value) in model {
            var hasher = Hasher()
            hasher.combine(name)
            switch value {
            case .text(let string):
                hasher.combine(0 as UInt8)
                hasher.combine(string.isEmpty)
            case .flag(let flag):
                hasher.combine(1 as UInt8)
                hasher.combine(flag)
            case .object(let fields):
                hasher.combine(2 as UInt8)
                var fieldSum = 0
                for (field, text) in fields {
                    var fieldHasher = Hasher()
                    fieldHasher.combine(field)
                    fieldHasher.combine(text.isEmpty)
                    fieldSum &+= fieldHasher.finalize()
                }
                hasher.combine(fieldSum)
            }
            sum &+= hasher.finalize()
        }
        return sum
    }

    /// Whether `model`, rendered with `template`, has this shape.
    func matches(_ template: String, _ model: PageModel) -> Bool {
        guard template == self.template, model.count == values.count else { return false }
        for (name, value) in model {
            switch (value, values[name]) {
            case (.text(let string), .text(let empty)?) where string.isEmpty == empty: continue
            case (.flag(let flag), .flag(let expected)?) where flag == expected: continue
            case (.object(let fields), .object(let expected)?) where fields.count == expected.count:
                for (field, text) in fields where expected[field] != text.isEmpty { return false }
            default: return false
            }
        }
        return true
    }
}
