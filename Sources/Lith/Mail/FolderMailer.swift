import Foundation

/// Development mail: each message is written as one `.eml` file into a
/// folder (any mail program opens it), instead of going to a server. The
/// files hold working links, so the folder is created readable by its owner
/// only, like the database beside it.
public struct FolderMailer: Mailer {
    public let folder: URL
    let clock: @Sendable () -> Date

    public init(folder: URL, clock: @escaping @Sendable () -> Date = Date.init) {
        self.folder = folder
        self.clock = clock
    }

    public var destination: String { "the folder \(folder.path)" }

    public func deliver(_ mail: OutgoingMail) async throws(MailFailure) {
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            // Time first, so a listing is in order; a random tail keeps two
            // messages of one second apart.
            let stamp = Int(clock().timeIntervalSince1970 * 1000)
            let name = "\(stamp)-\(SecureRandom.bytes(4).hexString).eml"
            let path = folder.appendingPathComponent(name).path
            guard FileManager.default.createFile(atPath: path, contents: Data(mail.data.utf8), attributes: [.posixPermissions: 0o600]) else {
                throw MailFailure(permanent: false, "could not write \(path)")
            }
        } catch let failure as MailFailure {
            throw failure
        } catch {
            throw MailFailure(permanent: false, "could not write to \(folder.path): \(error.localizedDescription)")
        }
    }
}
