import Foundation
import Lith

/// A password kept in a file (`--database-password-file`,
/// `--smtp-password-file`) rather than on the command line, where the
/// process list would show it: its first line, without the line break.
enum SecretFile {
    static func firstLine(of path: String, flag: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw CLIError("\(flag): can't read \(path.logSafe)")
        }
        let line = text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        guard !line.isEmpty else { throw CLIError("\(flag): \(path.logSafe) is empty") }
        return line.hasSuffix("\r") ? String(line.dropLast()) : line
    }
}
