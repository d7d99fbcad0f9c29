import HTTPTypes
import Hummingbird

extension Response {
    /// Adds a `Set-Cookie` line. Hummingbird's `setCookie` reads every
    /// `Set-Cookie` value into an array, appends, and writes them all back;
    /// appending the one field is all this needs.
    public mutating func addCookie(_ cookie: SetCookie) {
        headers.append(cookie.field)
    }
}
