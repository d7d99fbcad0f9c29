import Foundation

/// Dates and durations as the dashboard shows them, on every view: by
/// arithmetic into a string's storage, with no Calendar and no formatter
/// (measured: string interpolation allocated a string per field).
enum UTCDateText {
    /// `2026-11-21 20:36 UTC`: unambiguous, whatever the reader's locale.
    static func minutes(_ date: Date) -> String {
        let (year, month, day, hour, minute, _) = civil(date)
        return fill("####-##-## ##:## UTC", year, month, day, hour, minute)
    }

    /// `2026-11-21T20:36:05Z`, for the `<time datetime>` attribute.
    static func iso8601(_ date: Date) -> String {
        let (year, month, day, hour, minute, second) = civil(date)
        return fill("####-##-##T##:##:##Z", year, month, day, hour, minute, second)
    }

    /// `45 seconds`, `30 minutes`, `12 hours`, `7 days`: the largest unit
    /// that fits at least twice (one unit below), so `--session-idle 10s`
    /// reads "10 seconds", not "1 minute".
    static func span(_ interval: TimeInterval) -> String {
        let seconds = max(1, Int(interval.rounded(.down)))
        func plural(_ count: Int, _ unit: String) -> String { "\(count) \(unit)\(count == 1 ? "" : "s")" }
        if seconds < 120 { return seconds % 60 == 0 ? plural(seconds / 60, "minute") : plural(seconds, "second") }
        let minutes = seconds / 60
        if minutes < 120 { return plural(minutes, "minute") }
        if minutes < 48 * 60 { return plural(minutes / 60, "hour") }
        return plural(minutes / (24 * 60), "day")
    }

    /// The pattern with each run of `#` replaced by the next number,
    /// zero-padded to the run's width (wider numbers are written in full),
    /// written straight into the string's storage.
    static func fill(_ pattern: StaticString, _ numbers: Int...) -> String {
        // An Int has at most 19 digits and a sign.
        String(unsafeUninitializedCapacity: pattern.utf8CodeUnitCount + 20 * numbers.count) { output in
            var written = 0
            var next = numbers.makeIterator()
            pattern.withUTF8Buffer { pattern in
                var index = 0
                while index < pattern.count {
                    guard pattern[index] == UInt8(ascii: "#") else {
                        output[written] = pattern[index]
                        written += 1
                        index += 1
                        continue
                    }
                    var width = 0
                    while index + width < pattern.count, pattern[index + width] == UInt8(ascii: "#") { width += 1 }
                    let number = next.next() ?? 0
                    if number < 0 {
                        output[written] = UInt8(ascii: "-")
                        written += 1
                    }
                    var value = number.magnitude
                    var digits = 1
                    var rest = value / 10
                    while rest > 0 {
                        digits += 1
                        rest /= 10
                    }
                    // Zeros to the field's width, then the digits from the right.
                    let end = written + max(width, digits)
                    var position = end - 1
                    while position >= written {
                        output[position] = UInt8(ascii: "0") + UInt8(value % 10)
                        value /= 10
                        position -= 1
                    }
                    written = end
                    index += width
                }
            }
            return written
        }
    }

    /// UTC calendar fields by arithmetic (Howard Hinnant's days-to-civil).
    static func civil(_ date: Date) -> (Int, Int, Int, Int, Int, Int) {
        let seconds = Int(date.timeIntervalSince1970.rounded(.down))
        let days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400
        let secondOfDay = seconds - days * 86400
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day, secondOfDay / 3600, secondOfDay % 3600 / 60, secondOfDay % 60)
    }
}
