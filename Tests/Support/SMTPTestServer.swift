import Foundation

/// A real SMTP server for a test: `scripts/smtp-server.py` (aiosmtpd on
/// loopback, a throwaway certificate, every message written to a folder),
/// started for the test and stopped after it. Without aiosmtpd the tests
/// that need it are skipped, except under CI, where they fail.
public final class SMTPTestServer: @unchecked Sendable {
    public let port: Int
    /// The throwaway certificate, to trust as a private CA.
    public let caFile: String
    /// Where accepted messages land (`NNNN.eml` and `NNNN.json`).
    public let folder: URL
    private let process: Process

    /// Whether a server can be started here (python3 with aiosmtpd).
    public static var isAvailable: Bool {
        let check = Process()
        check.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        check.arguments = ["python3", "-c", "import aiosmtpd"]
        check.standardOutput = FileHandle.nullDevice
        check.standardError = FileHandle.nullDevice
        do {
            try check.run()
            check.waitUntilExit()
            return check.terminationStatus == 0
        } catch {
            return false
        }
    }

    public static var isRequired: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

    public init(implicitTLS: Bool = false, user: String? = nil, password: String? = nil) throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("lith-smtp-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("scripts/smtp-server.py").path
        var arguments = ["python3", script, "--dir", folder.path]
        // One throwaway certificate for every server of the test run: an RSA
        // key per server is CPU the timing tests beside these would miss.
        if let (cert, key) = Self.certificate() { arguments += ["--cert", cert, "--key", key] }
        if implicitTLS { arguments.append("--implicit-tls") }
        if let user, let password { arguments += ["--user", user, "--password", password] }
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        // One line: `SMTP_READY port=N cafile=PATH`.
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        let text = String(decoding: line, as: UTF8.self)
        guard text.hasPrefix("SMTP_READY"),
            let portText = text.split(separator: " ").first(where: { $0.hasPrefix("port=") })?.dropFirst(5),
            let port = Int(portText),
            let ca = text.split(separator: " ").first(where: { $0.hasPrefix("cafile=") })?.dropFirst(7)
        else {
            process.terminate()
            throw SMTPServerDidNotStart(output: text)
        }
        self.port = port
        self.caFile = String(ca).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private static let sharedCertificate = NSLock()
    nonisolated(unsafe) private static var made: (String, String)?

    /// A self-signed certificate for `localhost`, made once per test run.
    static func certificate() -> (String, String)? {
        sharedCertificate.withLock {
            if let made { return made }
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lith-smtp-cert-\(getpid())")
            try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let cert = folder.appendingPathComponent("cert.pem").path
            let key = folder.appendingPathComponent("key.pem").path
            let openssl = Process()
            openssl.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            openssl.arguments = [
                "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "2",
                "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
            ]
            openssl.standardOutput = FileHandle.nullDevice
            openssl.standardError = FileHandle.nullDevice
            guard (try? openssl.run()) != nil else { return nil }
            openssl.waitUntilExit()
            guard openssl.terminationStatus == 0 else { return nil }
            made = (cert, key)
            return made
        }
    }

    struct SMTPServerDidNotStart: Error {
        let output: String
    }

    /// The messages accepted so far, as received, oldest first.
    public func messages() -> [String] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return files.filter { $0.hasSuffix(".eml") }.sorted().compactMap {
            try? String(contentsOf: folder.appendingPathComponent($0), encoding: .utf8)
        }
    }

    /// The envelopes (`from`, `to`, whether TLS was on) of those messages.
    public func envelopes() -> [[String: Any]] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return files.filter { $0.hasSuffix(".json") }.sorted().compactMap {
            guard let data = FileManager.default.contents(atPath: folder.appendingPathComponent($0).path) else { return nil }
            return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
        }
    }

    public func stop() {
        if process.isRunning {
            // Nothing to keep: killed at once, and reaped.
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: folder)
    }
}
