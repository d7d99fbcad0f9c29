import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL

/// Sends mail through an SMTP server (RFC 5321), one connection per message:
/// greeting, `EHLO`, `STARTTLS` and `EHLO` again (or TLS from the start),
/// `AUTH PLAIN` or `AUTH LOGIN` when a user is given, `MAIL FROM`, `RCPT TO`,
/// `DATA` with dot-stuffing, `QUIT`. The whole conversation has one deadline
/// (``SMTPServer/timeout``); a reply in the 5xx range is a permanent failure,
/// anything else (4xx, a refused or dropped connection, the deadline) a
/// temporary one, which the outbox retries.
public struct SMTPMailer: Mailer {
    public let server: SMTPServer
    /// The name this client gives in `EHLO`.
    let clientName: String
    let group: any EventLoopGroup
    let tls: NIOSSLContext?

    public init(
        server: SMTPServer,
        clientName: String = "localhost",
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) throws(SMTPServer.Problem) {
        self.server = server
        self.clientName = clientName
        self.group = group
        guard server.security != .none else {
            self.tls = nil
            return
        }
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateVerification = .fullVerification
        configuration.minimumTLSVersion = .tlsv12
        if let caFile = server.caFile { configuration.additionalTrustRoots = [.file(caFile)] }
        do {
            self.tls = try NIOSSLContext(configuration: configuration)
        } catch {
            throw SMTPServer.Problem("--smtp-url: can't set up TLS (cafile \(server.caFile ?? "-")): \(error)")
        }
    }

    public var destination: String { server.description }

    public func deliver(_ mail: OutgoingMail) async throws(MailFailure) {
        try await converse { session in try await session.send(mail) }
    }

    /// One connection, every error as a ``MailFailure``. A failed TLS
    /// handshake closes the channel, and the write that happens to come
    /// next fails with "I/O on closed channel"; the handshake's own error,
    /// kept by ``TLSErrorRecorder``, is the one to report.
    private func converse(_ body: @escaping @Sendable (inout SMTPSession) async throws -> Void) async throws(MailFailure) {
        let tlsError = TLSErrorRecorder.Box()
        do {
            try await run(body, tlsError: tlsError)
        } catch let failure as MailFailure {
            throw failure
        } catch {
            let reason = tlsError.first.map { "TLS failed: \($0)" } ?? Self.describe(error)
            throw MailFailure(permanent: false, "\(server.host):\(server.port): \(reason)")
        }
    }

    /// `body` runs after the greeting, TLS and login, and `QUIT` follows it.
    private func run(_ body: @escaping @Sendable (inout SMTPSession) async throws -> Void, tlsError: TLSErrorRecorder.Box) async throws {
        let server = self.server
        let tls = self.tls
        let serverName = Self.serverName(server.host)
        let channel = try await ClientBootstrap(group: group)
            .connectTimeout(.seconds(10))
            .connect(host: server.host, port: server.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    if server.security == .implicitTLS, let tls {
                        try channel.pipeline.syncOperations.addHandler(TLSErrorRecorder(tlsError))
                        try channel.pipeline.syncOperations.addHandler(
                            NIOSSLClientHandler(context: tls, serverHostname: serverName),
                            position: .first
                        )
                    }
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        let clientName = self.clientName
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await channel.executeThenClose { inbound, outbound in
                    var session = SMTPSession(inbound: inbound.makeAsyncIterator(), outbound: outbound)
                    try await session.expect(220, during: "the greeting")
                    var extensions = try await session.hello(clientName)
                    if server.security == .startTLS {
                        guard extensions.contains("STARTTLS") else {
                            throw MailFailure(permanent: false, "the server doesn't offer STARTTLS, and Lith won't send mail in the clear")
                        }
                        try await session.command("STARTTLS", expect: 220)
                        guard let tls else { throw MailFailure(permanent: false, "no TLS context") }
                        try await channel.channel.eventLoop.submit {
                            let pipeline = channel.channel.pipeline.syncOperations
                            try pipeline.addHandler(TLSErrorRecorder(tlsError), position: .first)
                            try pipeline.addHandler(NIOSSLClientHandler(context: tls, serverHostname: serverName), position: .first)
                        }.get()
                        // RFC 3207 §4.2: forget what was said before TLS and greet again.
                        extensions = try await session.hello(clientName)
                    }
                    if let username = server.username {
                        try await session.logIn(username: username, password: server.password ?? "", offered: extensions)
                    }
                    try await body(&session)
                    // The message is accepted at DATA's 250; a failed goodbye changes nothing.
                    try? await session.command("QUIT", expect: 221)
                }
            }
            group.addTask {
                try await Task.sleep(for: server.timeout)
                channel.channel.close(promise: nil)
                throw MailFailure(permanent: false, "no answer within \(server.timeout) from \(server.host):\(server.port)")
            }
            _ = try await group.next()
            group.cancelAll()
        }
    }

    /// Keeps the first TLS error that passes through the pipeline.
    final class TLSErrorRecorder: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = ByteBuffer
        typealias InboundOut = ByteBuffer

        final class Box: Sendable {
            private let error = NIOLockedValueBox<String?>(nil)
            var first: String? { error.withLockedValue { $0 } }
            func keep(_ text: String) { error.withLockedValue { if $0 == nil { $0 = text } } }
        }

        let box: Box
        init(_ box: Box) { self.box = box }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            if error is NIOSSLError || error is BoringSSLError { box.keep("\(error)") }
            context.fireErrorCaught(error)
        }
    }

    /// The name to ask the server's certificate for: a host name, or `nil`
    /// for an IP address (SNI carries names only).
    static func serverName(_ host: String) -> String? {
        host.allSatisfy({ $0.isNumber || $0 == "." || $0 == ":" }) ? nil : host
    }

    /// An error from the network or TLS layer as one readable line.
    static func describe(_ error: any Error) -> String {
        if let error = error as? NIOSSLError { return "TLS failed: \(error)" }
        if let error = error as? BoringSSLError { return "TLS failed: \(error)" }
        if let error = error as? IOError { return "connection failed: \(error.description)" }
        if let error = error as? NIOConnectionError {
            // "Connection refused", not NIO's nested description of every attempt.
            if let io = error.connectionErrors.first?.error as? IOError {
                return "can't connect: \(String(cString: strerror(io.errnoCode)))"
            }
            if error.dnsAError != nil || error.dnsAAAAError != nil { return "can't resolve \(error.host)" }
            return "can't connect"
        }
        if error is ChannelError { return "connection failed: \(error)" }
        return "\(error)"
    }
}

/// One SMTP reply: its code and text lines.
struct SMTPReply: Sendable {
    let code: Int
    let lines: [String]

    func failure(during step: String) -> MailFailure {
        // RFC 5321 §4.2.1: 5yz is a permanent negative reply, 4yz transient.
        MailFailure(permanent: code >= 500, "\(step): the server said \(code) \(lines.joined(separator: " ").logSafe)")
    }
}

/// The client's side of one SMTP conversation over an open connection.
struct SMTPSession {
    var inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    var pending = ByteBuffer()

    /// A reply line may be at most 512 bytes (RFC 5321 §4.5.3.1.5); allow
    /// more, but never let a server make the client buffer without bound.
    static let longestLine = 4096
    static let mostLines = 100

    init(inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator, outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>) {
        self.inbound = inbound
        self.outbound = outbound
    }

    /// `EHLO`, returning the extensions the server offers (upper-cased keywords with their parameters).
    mutating func hello(_ name: String) async throws -> Set<String> {
        let reply = try await command("EHLO \(name)", expect: 250)
        var extensions = Set<String>()
        for line in reply.lines.dropFirst() {
            let words = line.uppercased().split(separator: " ")
            guard let keyword = words.first else { continue }
            extensions.insert(String(keyword))
            if keyword == "AUTH" { for mechanism in words.dropFirst() { extensions.insert("AUTH=\(mechanism)") } }
        }
        return extensions
    }

    /// RFC 4954: PLAIN if offered, else LOGIN. Only ever over TLS (the
    /// caller refuses credentials without it).
    mutating func logIn(username: String, password: String, offered: Set<String>) async throws {
        if offered.contains("AUTH=PLAIN") || !offered.contains("AUTH=LOGIN") {
            let token = Data(([0] + Array(username.utf8) + [0] + Array(password.utf8))).base64EncodedString()
            try await command("AUTH PLAIN \(token)", expect: 235, step: "AUTH PLAIN")
        } else {
            try await command("AUTH LOGIN", expect: 334, step: "AUTH LOGIN")
            try await command(Data(username.utf8).base64EncodedString(), expect: 334, step: "AUTH LOGIN (user name)")
            try await command(Data(password.utf8).base64EncodedString(), expect: 235, step: "AUTH LOGIN (password)")
        }
    }

    /// The envelope, then the message with dot-stuffing (RFC 5321 §4.5.2).
    mutating func send(_ mail: OutgoingMail) async throws {
        try await command("MAIL FROM:<\(mail.from.value)>", expect: 250)
        try await command("RCPT TO:<\(mail.to.value)>", expect: 250, 251, step: "RCPT TO:<\(mail.to.value)>")
        try await command("DATA", expect: 354)
        var data = ByteBuffer()
        data.reserveCapacity(mail.data.utf8.count + 64)
        for line in mail.data.split(separator: "\r\n", omittingEmptySubsequences: false).dropLast(mail.data.hasSuffix("\r\n") ? 1 : 0) {
            if line.hasPrefix(".") { data.writeString(".") }
            data.writeSubstring(line)
            data.writeString("\r\n")
        }
        data.writeString(".\r\n")
        try await outbound.write(data)
        try await expect(250, during: "the end of DATA")
    }

    /// Sends `line` and reads the reply, which must have one of `codes`.
    @discardableResult
    mutating func command(_ line: String, expect codes: Int..., step: String? = nil) async throws -> SMTPReply {
        try await outbound.write(ByteBuffer(string: line + "\r\n"))
        let reply = try await reply()
        guard codes.contains(reply.code) else {
            throw reply.failure(during: step ?? String(line.prefix { $0 != " " && $0 != ":" }))
        }
        return reply
    }

    mutating func expect(_ code: Int, during step: String) async throws {
        let reply = try await reply()
        guard reply.code == code else { throw reply.failure(during: step) }
    }

    /// One reply, over as many `NNN-` lines as it takes.
    mutating func reply() async throws -> SMTPReply {
        var lines: [String] = []
        while true {
            let line = try await readLine()
            let bytes = Array(line.utf8)
            guard bytes.count >= 3, let code = Int(String(decoding: bytes[0..<3], as: UTF8.self)), (200...599).contains(code) else {
                throw MailFailure(permanent: false, "the server's reply makes no sense: \(line.prefix(80).logSafe)")
            }
            lines.append(bytes.count > 4 ? String(decoding: bytes[4...], as: UTF8.self) : "")
            guard bytes.count > 3, bytes[3] == UInt8(ascii: "-") else { return SMTPReply(code: code, lines: lines) }
            guard lines.count < Self.mostLines else {
                throw MailFailure(permanent: false, "the server's reply goes on for over \(Self.mostLines) lines")
            }
        }
    }

    private mutating func readLine() async throws -> String {
        while true {
            if let newline = pending.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) {
                var line = pending.readString(length: newline - pending.readerIndex + 1) ?? ""
                line.removeLast()
                if line.hasSuffix("\r") { line.removeLast() }
                pending.discardReadBytes()
                return line
            }
            guard pending.readableBytes <= Self.longestLine else {
                throw MailFailure(permanent: false, "the server sent a line longer than \(Self.longestLine) bytes")
            }
            guard var chunk = try await inbound.next() else { throw MailFailure(permanent: false, "the server closed the connection") }
            pending.writeBuffer(&chunk)
        }
    }
}
