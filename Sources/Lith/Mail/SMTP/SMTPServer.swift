import Foundation

/// Where and how to reach the SMTP server, from `--smtp-url`:
///
/// - `smtp://user:password@mail.example.com:587`: STARTTLS, required (a
///   server that doesn't offer it is refused: credentials and reset links
///   would travel in the clear);
/// - `smtps://user:password@mail.example.com:465`: TLS from the first byte;
/// - `smtp://localhost:25?starttls=off`: no TLS, for a relay on the same
///   machine; refused with credentials, and only to a loopback host;
/// - `?cafile=/etc/ssl/private-ca.pem`: trust a private CA as well.
///
/// The server's certificate is verified, host name included. The password
/// may come from `--smtp-password-file` instead of the URL; it never prints.
public struct SMTPServer: Sendable, Equatable, CustomStringConvertible {
    public enum Security: Sendable, Equatable {
        /// TLS from the first byte (`smtps://`, usually port 465).
        case implicitTLS
        /// Plain until `STARTTLS`, which must succeed (`smtp://`, port 587).
        case startTLS
        /// No TLS at all: loopback only.
        case none
    }

    public let host: String
    public let port: Int
    public let security: Security
    public let username: String?
    public var password: String?
    /// PEM certificates to trust besides the system's.
    public let caFile: String?
    /// How long one conversation may take, from connecting to `QUIT`.
    public var timeout: Duration = .seconds(30)

    /// Why a URL is not one Lith can send through, in one line.
    public struct Problem: Error, Sendable, Equatable, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }

    public init(url text: String) throws(Problem) {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased() else {
            throw Problem("--smtp-url must look like smtp://user:password@mail.example.com:587")
        }
        guard let host = components.host, !host.isEmpty else { throw Problem("--smtp-url has no host name") }
        let query = Dictionary((components.queryItems ?? []).map { ($0.name.lowercased(), $0.value ?? "") }, uniquingKeysWith: { _, last in last })
        for name in query.keys where !["starttls", "cafile"].contains(name) {
            throw Problem("--smtp-url: unknown setting '\(name.logSafe)' (known: starttls=off, cafile=PATH)")
        }
        switch scheme {
        case "smtps":
            security = .implicitTLS
            port = components.port ?? 465
        case "smtp":
            port = components.port ?? 587
            switch query["starttls"]?.lowercased() {
            case nil, "required", "on": security = .startTLS
            case "off": security = .none
            case let other?: throw Problem("--smtp-url: starttls must be 'off' (or left out: required), got '\(other.logSafe)'")
            }
        default:
            throw Problem("--smtp-url must start with smtp:// (STARTTLS) or smtps:// (TLS), got '\(scheme.logSafe)://'")
        }
        guard (1...65535).contains(port) else { throw Problem("--smtp-url: port \(port) is out of range") }
        self.host = host
        self.username = components.user.flatMap { $0.removingPercentEncoding }.flatMap { $0.isEmpty ? nil : $0 }
        self.password = components.password.flatMap { $0.removingPercentEncoding }
        self.caFile = query["cafile"].flatMap { $0.isEmpty ? nil : $0 }
        if security == .none {
            guard Self.isLoopback(host) else {
                throw Problem("--smtp-url: starttls=off sends mail in the clear, so only a server on this machine (localhost) may go without TLS")
            }
            guard username == nil else { throw Problem("--smtp-url: a password never goes over a connection without TLS (starttls=off)") }
        }
    }

    static func isLoopback(_ host: String) -> Bool {
        let host = host.lowercased()
        return host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
    }

    /// The URL without its password: what the log and `lith mail test` print.
    public var description: String {
        let scheme = security == .implicitTLS ? "smtps" : "smtp"
        let user = username.map { "\($0)@" } ?? ""
        let query = security == .none ? "?starttls=off" : ""
        return "\(scheme)://\(user)\(host):\(port)\(query)"
    }
}
