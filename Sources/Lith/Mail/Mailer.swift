/// Where Lith's mail goes: an SMTP server (``SMTPMailer``), a folder of
/// `.eml` files for development (``FolderMailer``), or a test's capture.
///
/// A mailer is only ever called off the request path, by ``MailDelivery``,
/// which takes messages from the store's outbox: a request that causes mail
/// writes it to the outbox in the same step, so nothing is lost when the
/// mail server is down.
public protocol Mailer: Sendable {
    /// Hands `mail` to its destination, or throws ``MailFailure``.
    func deliver(_ mail: OutgoingMail) async throws(MailFailure)

    /// Where the mail goes, for the log ("smtp://mail.example.com:587").
    var destination: String { get }
}

/// Why a message could not be handed over, and whether trying again later can help.
public struct MailFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// `true` when the server refused for good (a 5xx reply: no such
    /// recipient, message refused): retrying can't help.
    public let isPermanent: Bool
    /// One line: what went wrong, with the server's words if it said any.
    public let reason: String

    public init(permanent: Bool, _ reason: String) {
        self.isPermanent = permanent
        self.reason = reason
    }

    public var description: String { reason }
}
