import HTTPTypes
import Hummingbird

extension Response {
    /// Whether a handler already wrote `name`, so middleware doesn't overwrite its decision.
    func setsCookie(named name: String) -> Bool {
        let prefix = name + "="
        return headers.contains { $0.name == .setCookie && $0.value.hasPrefix(prefix) }
    }

    /// Adds a `Set-Cookie` line. Hummingbird's `setCookie` reads every
    /// `Set-Cookie` value into an array, appends, and writes them all back;
    /// appending the one field is all this needs.
    mutating func addCookie(_ cookie: SetCookie) {
        headers.append(cookie.field)
    }
}
