/// The cookies a browser would hold for one site: set by `Set-Cookie`,
/// removed by `Max-Age=0`, sent back on every request.
struct CookieJar: Sendable {
    private(set) var values: [String: String] = [:]

    mutating func store(_ setCookieHeaders: [String]) {
        for header in setCookieHeaders {
            let parts = header.split(separator: ";").map { $0.drop { $0 == " " } }
            guard let pair = parts.first, let equals = pair.firstIndex(of: "=") else { continue }
            let name = String(pair[..<equals])
            let value = String(pair[pair.index(after: equals)...])
            let expired = parts.dropFirst().contains { attribute in
                let lowered = attribute.lowercased()
                return lowered.hasPrefix("max-age=") && (Int(lowered.dropFirst("max-age=".count)) ?? 1) <= 0
            }
            if expired { values[name] = nil } else { values[name] = value }
        }
    }

    mutating func set(_ name: String, _ value: String?) {
        values[name] = value
    }

    /// The `Cookie` request header, or `nil` with no cookies.
    var header: String? {
        values.isEmpty ? nil : values.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "; ")
    }
}
