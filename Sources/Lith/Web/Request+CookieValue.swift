import Hummingbird

extension Request {
    /// The value of cookie `name`, read straight from the `Cookie` headers:
    /// the first match wins, as browsers send the most specific cookie first.
    /// Lighter than `request.cookies[name]`, which splits and keeps every
    /// cookie, on a path every request takes three times; it walks bytes, not
    /// Characters, so no grapheme breaking happens on the way.
    func cookieValue(_ name: String) -> Substring? {
        for field in headers where field.name == .cookie {
            if let value = Self.cookieValue(name, inHeader: field.value) { return value }
        }
        return nil
    }

    /// `name`'s value in one `Cookie` header (`a=1; b=2`).
    static func cookieValue(_ name: String, inHeader header: String) -> Substring? {
        let bytes = header.utf8
        let wanted = name.utf8
        var index = bytes.startIndex
        while index != bytes.endIndex {
            while index != bytes.endIndex, bytes[index] == UInt8(ascii: " ") { bytes.formIndex(after: &index) }
            let pairStart = index
            while index != bytes.endIndex, bytes[index] != UInt8(ascii: ";") { bytes.formIndex(after: &index) }
            var cursor = pairStart
            var matched = true
            for byte in wanted {
                guard cursor != index, bytes[cursor] == byte else { matched = false; break }
                bytes.formIndex(after: &cursor)
            }
            // ";" and "=" are ASCII, so these byte positions are character boundaries.
            if matched, cursor != index, bytes[cursor] == UInt8(ascii: "=") {
                return header[bytes.index(after: cursor)..<index]
            }
            if index != bytes.endIndex { bytes.formIndex(after: &index) }
        }
        return nil
    }
}
