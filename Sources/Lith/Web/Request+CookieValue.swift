import Hummingbird

extension Request {
    /// The value of cookie `name`, read straight from the `Cookie` headers:
    /// the first match wins, as browsers send the most specific cookie first.
    /// Lighter than `request.cookies[name]`, which splits and keeps every
    /// cookie, on a path every request takes three times.
    func cookieValue(_ name: String) -> Substring? {
        for header in headers[values: .cookie] {
            for pair in header.split(separator: ";") {
                let trimmed = pair.drop { $0 == " " }
                guard trimmed.hasPrefix(name) else { continue }
                let rest = trimmed.dropFirst(name.count)
                if rest.first == "=" { return rest.dropFirst() }
            }
        }
        return nil
    }
}
