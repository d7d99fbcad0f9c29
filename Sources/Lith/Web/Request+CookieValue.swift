import Hummingbird

extension Request {
    /// The value of cookie `name`, read straight from the `Cookie` headers:
    /// the first match wins, as browsers send the most specific cookie first.
    /// Lighter than `request.cookies[name]`, which splits and keeps every
    /// cookie, on a path every request takes three times; it walks bytes, not
    /// Characters, so no grapheme breaking happens on the way.
    public func cookieValue(_ name: String) -> Substring? {
        for field in headers where field.name == .cookie {
            if let value = Self.cookieValue(name, inHeader: field.value) { return value }
        }
        return nil
    }

    /// `name`'s value in one `Cookie` header (`a=1; b=2`). Scans the header's
    /// UTF-8 bytes in place: it runs for two or three cookies on every request.
    static func cookieValue(_ name: String, inHeader header: String) -> Substring? {
        var header = header
        var name = name
        let found: Range<Int>? = header.withUTF8 { bytes in
            name.withUTF8 { wanted in
                var index = 0
                while index < bytes.count {
                    while index < bytes.count, bytes[index] == UInt8(ascii: " ") { index += 1 }
                    let pairStart = index
                    while index < bytes.count, bytes[index] != UInt8(ascii: ";") { index += 1 }
                    let nameEnd = pairStart + wanted.count
                    if nameEnd < index, bytes[nameEnd] == UInt8(ascii: "="),
                        UnsafeBufferPointer(rebasing: bytes[pairStart..<nameEnd]).elementsEqual(wanted)
                    {
                        return (nameEnd + 1)..<index
                    }
                    index += 1
                }
                return nil
            }
        }
        guard let found else { return nil }
        // ";" and "=" are ASCII, so these byte offsets are character boundaries.
        let utf8 = header.utf8
        let start = utf8.index(utf8.startIndex, offsetBy: found.lowerBound)
        return header[start..<utf8.index(start, offsetBy: found.count)]
    }
}
