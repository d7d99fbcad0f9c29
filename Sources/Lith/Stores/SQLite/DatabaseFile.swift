#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The SQLite file on disk. It holds password hashes and the CSRF signing
/// key, so only its owner may read it: Lith creates it 0600 before SQLite
/// opens it, and SQLite gives its `-wal` and `-shm` files the same mode.
/// (SQLite's own default, 0644 less the umask, lets every local user read it.)
public enum DatabaseFile {
    /// Why there is no database file to open; a mistake in `--database`.
    public enum Problem: Error, Equatable, CustomStringConvertible {
        case folderMissing(String)
        case fileMissing(String)
        case cantCreate(String, errno: Int32)

        public var description: String {
            switch self {
            case .folderMissing(let folder): "the folder \(folder) does not exist"
            case .fileMissing(let path): "there is no database at \(path)"
            case .cantCreate(let path, let code): "can't create \(path): \(String(cString: strerror(code)))"
            }
        }
    }

    /// Makes sure `path` exists: created empty and owner-only if it doesn't
    /// (an empty file is an empty SQLite database), unless `mustExist`, for
    /// commands that only read and must not leave a stray empty database
    /// behind a mistyped path. Returns the mode of a file that already
    /// existed and others can read, for a warning.
    @discardableResult
    static func prepare(_ path: String, mustExist: Bool = false) throws(Problem) -> mode_t? {
        var info = stat()
        if stat(path, &info) == 0 {
            let mode = info.st_mode & 0o777
            return mode & 0o077 != 0 ? mode : nil
        }
        let folder = Self.folder(of: path)
        var folderInfo = stat()
        guard stat(folder, &folderInfo) == 0, folderInfo.st_mode & S_IFMT == S_IFDIR else { throw .folderMissing(folder) }
        guard !mustExist else { throw .fileMissing(path) }
        let descriptor = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o600)
        if descriptor < 0 {
            let code = errno
            guard code == EEXIST else { throw .cantCreate(path, errno: code) }  // created meanwhile by another process
            return nil
        }
        close(descriptor)
        return nil
    }

    static func folder(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}
