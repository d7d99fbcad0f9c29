import Foundation

/// Parses durations as people write them: `90s`, `30m`, `12h`, `7d` (a bare
/// number is seconds).
enum DurationText {
    static func parse(_ text: String, name: String) throws -> TimeInterval {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86400]
        var number = Substring(text)
        var unit = 1.0
        if let last = text.last, let multiplier = units[last] {
            number = text.dropLast()
            unit = multiplier
        }
        guard let value = Double(number), value > 0, value.isFinite else {
            throw CLIError("\(name) must be a duration like 90s, 30m, 12h or 7d, got '\(text)'")
        }
        // Ten years: far past any sane session, far below where seconds overflow.
        guard value * unit <= 3650 * 86400 else { throw CLIError("\(name) must be at most 3650d, got '\(text)'") }
        return value * unit
    }
}
