import Hummingbird

extension Response {
    /// Whether a handler already wrote `name`, so middleware doesn't overwrite its decision.
    func setsCookie(named name: String) -> Bool {
        let prefix = name + "="
        return headers[values: .setCookie].contains { $0.hasPrefix(prefix) }
    }
}
