import Foundation
import Testing

@testable import Lith

/// The common-password list (NIST SP 800-63B §5.1.1.2): Django's, bundled,
/// loaded with a cap on what it may inflate to.
@Suite("Common passwords")
struct CommonPasswordsTests {
    /// What Django 5.2.19's file holds: 19,640 lines, all distinct, none blank.
    static let djangoEntryCount = 19_640

    @Test func theBundledListLoadsWithEveryOneOfDjangosEntries() throws {
        // given the list SwiftPM copied beside the test binary
        // when it is loaded
        let list = try CommonPasswords.bundled()
        // then none of its entries is lost or merged
        #expect(list.count >= 10_000)
        #expect(list.count == Self.djangoEntryCount)
    }

    @Test(arguments: ["password", "12345678", "qwertyuiop", "iloveyou"])
    func theMostCommonPasswordsAreOnIt(password: String) throws {
        // given the bundled list
        let list = try CommonPasswords.bundled()
        // when a common password is checked
        // then it is found
        #expect(list.contains(password))
    }

    @Test func capitalsDontMakeAPasswordUncommon() throws {
        // given the bundled list, all lowercase
        let list = try CommonPasswords.bundled()
        // when a common password is checked with capitals
        // then it is found
        #expect(list.contains("PassWord"))
    }

    @Test func surroundingWhitespaceDoesntMakeAPasswordUncommon() throws {
        // given the bundled list
        let list = try CommonPasswords.bundled()
        // when a common password is checked with spaces and a tab around it
        // then it is found, as Django finds it
        #expect(list.contains("  password\t"))
    }

    @Test func aLongRandomPhraseIsNotOnIt() throws {
        // given the bundled list
        let list = try CommonPasswords.bundled()
        // when a long phrase nobody has used is checked
        // then it is not found
        #expect(!list.contains("violet tractor whispers under 7 brass kettles"))
    }

    @Test func aListOfYourOwnIsComparedTheSameWay() {
        // given a list with capitals, padding and blank lines
        let list = CommonPasswords(["Hunter2 ", "", "   ", "hunter2"])
        // when it is counted and checked
        // then its entries are lowercased, trimmed and deduplicated, and blanks skipped
        #expect(list.count == 1)
        #expect(list.contains("HUNTER2"))
        #expect(!list.contains(""))
    }

    /// Ways a list file can be damaged; each must be an error, not a crash
    /// and not a list missing what the damage cut off.
    enum Damage: String, CaseIterable, Sendable {
        case truncated, flippedByte, trailingBytes, notGzip, empty, notUTF8

        func apply(to gzip: Data) throws -> Data {
            switch self {
            case .truncated: gzip.prefix(gzip.count / 2)
            case .flippedByte: Data(gzip.enumerated().map { $0.offset == gzip.count / 2 ? ~$0.element : $0.element })
            case .trailingBytes: gzip + Data("more".utf8)
            case .notGzip: Data("password\n12345678\n".utf8)
            case .empty: Data()
            case .notUTF8: try Gzip.compress(Data([0x70, 0x61, 0xFF, 0x0A]))
            }
        }
    }

    @Test(arguments: Damage.allCases)
    func aDamagedFileIsAnErrorNotACrash(damage: Damage) throws {
        // given a damaged copy of the bundled file
        let original = try Data(contentsOf: try CommonPasswords.bundledFile(besideAnyOf: CommonPasswords.placesBesideTheBinary))
        let file = try TemporaryFile(contents: try damage.apply(to: original))
        // when it is loaded
        // then it is refused as corrupt
        #expect(throws: CommonPasswords.LoadError.corrupt(path: file.url.path)) { try CommonPasswords.load(from: file.url) }
    }

    @Test func aFileThatWouldInflatePastTheCapIsRefused() throws {
        // given a few kilobytes of gzip that inflate to one byte more than the cap
        let bomb = try Gzip.compress(Data(count: CommonPasswords.maximumBytes + 1))
        let file = try TemporaryFile(contents: bomb)
        #expect(bomb.count < 10_000)
        // when it is loaded
        // then it is refused before it is split into lines
        #expect(throws: CommonPasswords.LoadError.tooLarge(path: file.url.path, limit: CommonPasswords.maximumBytes)) {
            try CommonPasswords.load(from: file.url)
        }
    }

    @Test func aFileLargerThanTheCapIsRefusedUnread() throws {
        // given a file one byte larger than the cap
        let file = try TemporaryFile(contents: Data(count: CommonPasswords.maximumBytes + 1))
        // when it is loaded
        // then it is refused for its size, not read whole and then found corrupt
        #expect(throws: CommonPasswords.LoadError.tooLarge(path: file.url.path, limit: CommonPasswords.maximumBytes)) {
            try CommonPasswords.load(from: file.url)
        }
    }

    @Test func aStreamThatFillsTheCapExactlyIsInflated() throws {
        // given gzip that inflates to 1,000 bytes
        let compressed = try Gzip.compress(Data(repeating: 0x61, count: 1000))
        // when it is inflated with room for exactly that, and for one byte less
        // then the first succeeds and the second is refused
        #expect(try CommonPasswords.gunzip(compressed, capacity: 1000, path: "x").count == 1000)
        #expect(throws: CommonPasswords.LoadError.tooLarge(path: "x", limit: 999)) {
            try CommonPasswords.gunzip(compressed, capacity: 999, path: "x")
        }
    }

    @Test func aMissingResourceFolderIsAnErrorNamingWhereItLooked() throws {
        // given two folders without lith_Lith.resources in them
        let places = [URL(fileURLWithPath: "/nonexistent/one"), URL(fileURLWithPath: "/nonexistent/two")]
        // when the bundled list is looked for beside them
        // then the error names both places and the folder to copy
        let error = #expect(throws: CommonPasswords.LoadError.self) { try CommonPasswords.bundledFile(besideAnyOf: places) }
        #expect(
            error
                == .missing(searched: [
                    "/nonexistent/one/lith_Lith.resources/Resources/common-passwords.txt.gz",
                    "/nonexistent/two/lith_Lith.resources/Resources/common-passwords.txt.gz",
                ])
        )
        #expect(error?.description.contains("copy it next to the binary") == true)
    }

    @Test func aPlaceNamedTwiceIsNamedOnceInTheError() {
        // given the same folder twice, as for a binary started without a symlink
        let place = URL(fileURLWithPath: "/nonexistent/bin")
        // when the bundled list is looked for beside it
        // then the error names the path once
        #expect(throws: CommonPasswords.LoadError.missing(searched: ["/nonexistent/bin/lith_Lith.resources/Resources/common-passwords.txt.gz"])) {
            try CommonPasswords.bundledFile(besideAnyOf: [place, place])
        }
    }

    @Test func aFolderWhereTheFileShouldBeIsAnErrorNamingIt() throws {
        // given a folder at the list's path
        let folder = FileManager.default.temporaryDirectory
        // when it is loaded
        // then it is refused as unreadable, with the path
        let error = #expect(throws: CommonPasswords.LoadError.self) { try CommonPasswords.load(from: folder) }
        guard case .unreadable(let path, _) = error else {
            Issue.record("expected .unreadable, got \(String(describing: error))")
            return
        }
        #expect(path == folder.path)
    }

    @Test func aMissingFileIsTheSameClearError() {
        // given a path with nothing at it
        let url = URL(fileURLWithPath: "/nonexistent/common-passwords.txt.gz")
        // when it is loaded
        // then the error names it
        #expect(throws: CommonPasswords.LoadError.missing(searched: [url.path])) { try CommonPasswords.load(from: url) }
    }

    /// A file in the temporary folder, removed when the value goes.
    final class TemporaryFile {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("lith-\(UUID().uuidString)")

        init(contents: Data) throws { try contents.write(to: url) }

        deinit { try? FileManager.default.removeItem(at: url) }
    }

    /// The system's `gzip`, to make test files: Lith itself only inflates.
    enum Gzip {
        struct Failed: Error {}

        static func compress(_ data: Data) throws -> Data {
            let input = try TemporaryFile(contents: data)
            let output = Pipe()
            let gzip = Process()
            gzip.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            gzip.arguments = ["gzip", "-c", "-n", "-9", input.url.path]
            gzip.standardOutput = output
            try gzip.run()
            let compressed = output.fileHandleForReading.readDataToEndOfFile()
            gzip.waitUntilExit()
            guard gzip.terminationStatus == 0 else { throw Failed() }
            return compressed
        }
    }
}
