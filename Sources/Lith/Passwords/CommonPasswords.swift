import CLithZlib
import Foundation

/// The passwords people choose most, which guessing attacks try first.
/// NIST SP 800-63B §5.1.1.2 asks verifiers to compare a new password against
/// a list of commonly used, expected or compromised values and refuse a match.
///
/// The bundled list is Django's `common-passwords.txt.gz`, shipped unchanged:
/// Royce Williams's list of common passwords, unhexed, lowercased and
/// deduplicated (`Resources/common-passwords-LICENSE.txt` says which Django
/// release and under what licence).
public struct CommonPasswords: Sendable {
    /// The most a list may take, compressed or inflated. Django's inflates to
    /// about 160 KB; a gzip stream can inflate a thousandfold, so without a cap
    /// a corrupt or hostile file could make Lith allocate without bound.
    static let maximumBytes = 4 << 20

    static let resourceFolderName = "lith_Lith.resources"
    static let bundledPath = "Resources/common-passwords.txt.gz"

    let entries: Set<String>

    /// How many distinct passwords the list holds.
    public var count: Int { entries.count }

    /// A list of your own. Entries are compared as ``contains(_:)`` compares
    /// a candidate: lowercased and trimmed; blank ones are skipped.
    public init(_ entries: some Sequence<String>) {
        self.entries = Set(entries.lazy.map(Self.normalised).filter { !$0.isEmpty })
    }

    /// Whether `password` is on the list, ignoring case and surrounding
    /// whitespace as Django does (`password.lower().strip()`): " Password1 "
    /// is no harder to guess than "password1", and this check only refuses,
    /// it never changes what is hashed.
    public func contains(_ password: String) -> Bool {
        entries.contains(Self.normalised(password))
    }

    static func normalised(_ text: some StringProtocol) -> String {
        text.lowercased().trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The list shipped with Lith, read from `lith_Lith.resources` beside the
    /// binary on first use and kept for the life of the process (inflating
    /// and hashing twenty thousand entries takes tens of milliseconds).
    public static func bundled() throws(LoadError) -> CommonPasswords {
        try loadedOnce.get()
    }

    /// Swift runs a static's initialiser once, on first use, whichever thread asks.
    private static let loadedOnce = Result { () throws(LoadError) in
        try load(from: bundledFile(besideAnyOf: placesBesideTheBinary))
    }

    /// A gzip file of one password a line (Django's format); blank lines are skipped.
    public static func load(from url: URL) throws(LoadError) -> CommonPasswords {
        let path = url.path
        guard FileManager.default.fileExists(atPath: path) else { throw .missing(searched: [path]) }
        let compressed: Data
        do {
            let file = try FileHandle(forReadingFrom: url)
            defer { try? file.close() }
            compressed = try file.read(upToCount: maximumBytes + 1) ?? Data()
        } catch {
            throw .unreadable(path: path, reason: "\(error)")
        }
        guard compressed.count <= maximumBytes else { throw .tooLarge(path: path, limit: maximumBytes) }
        let text = try gunzip(compressed, capacity: maximumBytes, path: path)
        var lines: [String] = []
        for line in text.split(separator: UInt8(ascii: "\n")) {
            guard let entry = String(validating: line, as: UTF8.self) else { throw .corrupt(path: path) }
            lines.append(entry)
        }
        return CommonPasswords(lines)
    }

    /// `compressed` inflated into at most `capacity` bytes.
    static func gunzip(_ compressed: Data, capacity: Int, path: String) throws(LoadError) -> [UInt8] {
        var status = LITH_GUNZIP_FAILED
        let text = [UInt8](unsafeUninitializedCapacity: capacity) { output, initialised in
            var written = 0
            status = compressed.withUnsafeBytes { input in
                lith_gunzip(input.baseAddress, input.count, output.baseAddress, capacity, &written)
            }
            initialised = status == LITH_GUNZIP_OK ? written : 0
        }
        switch status {
        case LITH_GUNZIP_OK: return text
        case LITH_GUNZIP_TOO_LARGE: throw .tooLarge(path: path, limit: capacity)
        case LITH_GUNZIP_CORRUPT: throw .corrupt(path: path)
        default: throw .unreadable(path: path, reason: "zlib could not start (out of memory?)")
        }
    }

    /// Where SwiftPM's generated `Bundle.module` would look first, checked by
    /// hand as `Pages` does: `Bundle.module` traps when the folder is missing
    /// (a binary copied without it), and a clear error is better than a crash.
    static var placesBesideTheBinary: [URL] {
        [
            Bundle.main.bundleURL,
            URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent(),
        ]
    }

    /// The first of `places` holding the list. Each place is searched and
    /// named once: both are the binary's folder unless it was started through a symlink.
    static func bundledFile(besideAnyOf places: [URL]) throws(LoadError) -> URL {
        var searched: [String] = []
        for place in places {
            let path = place.appendingPathComponent(resourceFolderName).appendingPathComponent(bundledPath).path
            if !searched.contains(path) { searched.append(path) }
        }
        guard let found = searched.first(where: { FileManager.default.fileExists(atPath: $0) }) else { throw .missing(searched: searched) }
        return URL(fileURLWithPath: found)
    }

    /// Why a list couldn't be loaded. Every case names the file, for the log
    /// line of an app that refuses to start without its list.
    public enum LoadError: Error, Sendable, Equatable, CustomStringConvertible {
        /// No file at any of these paths.
        case missing(searched: [String])
        /// The file is there but couldn't be read.
        case unreadable(path: String, reason: String)
        /// Not a gzip file, cut short, failing its checksum, or not UTF-8 text.
        case corrupt(path: String)
        /// Bigger than `limit` bytes, compressed or inflated.
        case tooLarge(path: String, limit: Int)

        public var description: String {
            switch self {
            case .missing(let searched):
                "common-password list not found (looked in \(searched.joined(separator: ", "))); Lith's own list is in the "
                    + "\(CommonPasswords.resourceFolderName) folder SwiftPM builds in .build/<configuration>/: copy it next to the binary"
            case .unreadable(let path, let reason): "common-password list \(path) could not be read: \(reason)"
            case .corrupt(let path): "common-password list \(path) is not a valid gzip file of UTF-8 text"
            case .tooLarge(let path, let limit): "common-password list \(path) is larger than \(limit) bytes, compressed or inflated"
            }
        }
    }
}
