/// A parsed `application/x-www-form-urlencoded` body. The parser is strict:
/// a malformed percent escape or bytes that aren't UTF-8 make the whole body
/// a 400, rather than being guessed at.
public struct FormData: Sendable, Equatable {
    private var fields: [(name: String, value: String)]

    public init(_ fields: [(String, String)] = []) {
        self.fields = fields.map { (name: $0.0, value: $0.1) }
    }

    /// The first value sent for `name`.
    public subscript(name: String) -> String? {
        fields.first { $0.name == name }?.value
    }

    /// The first value sent for `name`, or `""` when there is none: for
    /// fields whose absence is the same mistake as leaving them empty.
    public func text(_ name: String) -> String {
        self[name] ?? ""
    }

    public enum Problem: Error, Sendable, Equatable {
        case malformedEncoding
        case invalidUTF8
        case tooManyFields
    }

    /// Far more than any of Lith's forms has; a bound on parsing work.
    static let maximumFields = 64

    public init(urlEncoded bytes: some Collection<UInt8>) throws(Problem) {
        var fields: [(name: String, value: String)] = []
        for pair in bytes.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            guard fields.count < Self.maximumFields else { throw .tooManyFields }
            let parts = pair.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            let name = try Self.decode(parts[0])
            let value = parts.count > 1 ? try Self.decode(parts[1]) : ""
            fields.append((name: name, value: value))
        }
        self.fields = fields
    }

    private static func decode(_ component: some Collection<UInt8>) throws(Problem) -> String {
        var bytes = [UInt8]()
        bytes.reserveCapacity(component.count)
        var index = component.startIndex
        while index != component.endIndex {
            let byte = component[index]
            switch byte {
            case UInt8(ascii: "+"):
                bytes.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                let high = component.index(after: index)
                guard high != component.endIndex else { throw .malformedEncoding }
                let low = component.index(after: high)
                guard low != component.endIndex, let h = hexValue(component[high]), let l = hexValue(component[low])
                else { throw .malformedEncoding }
                bytes.append(h << 4 | l)
                index = low
            default:
                bytes.append(byte)
            }
            index = component.index(after: index)
        }
        guard let string = String(validating: bytes, as: UTF8.self) else { throw .invalidUTF8 }
        return string
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    public static func == (lhs: FormData, rhs: FormData) -> Bool {
        lhs.fields.map(\.name) == rhs.fields.map(\.name) && lhs.fields.map(\.value) == rhs.fields.map(\.value)
    }
}
