import Foundation

/// Stores keep times as whole seconds since 1970: one integer type that both
/// SQLite and PostgreSQL compare and index the same way.
extension Date {
    var unixSeconds: Int64 { Int64(timeIntervalSince1970.rounded(.down)) }
    init(unixSeconds: Int64) { self.init(timeIntervalSince1970: TimeInterval(unixSeconds)) }
}
