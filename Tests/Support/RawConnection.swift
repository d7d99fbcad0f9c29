import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A TCP connection that sends bytes exactly as given — for requests no
/// well-behaved client would send, and for clients that stall, trickle or
/// go silent.
///
/// Its blocking socket calls run on a thread of their own: on the
/// cooperative pool they would starve the in-process server under test of
/// the threads it answers with.
public final class RawConnection: @unchecked Sendable {
    private static let queue = DispatchQueue(label: "raw-connection", attributes: .concurrent)

    /// Runs a blocking call off the cooperative pool.
    private func blocking<T: Sendable>(_ call: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            Self.queue.async { continuation.resume(returning: call()) }
        }
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    private let descriptor: Int32

    public init(port: Int) throws {
        #if canImport(Glibc)
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        descriptor = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard descriptor >= 0 else { throw Failure(description: "socket: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(descriptor)
            throw Failure(description: "connect: errno \(errno)")
        }
        var noSignal: Int32 = 1
        #if canImport(Darwin)
        setsockopt(descriptor, SOL_SOCKET, SO_NOSIGPIPE, &noSignal, socklen_t(MemoryLayout<Int32>.size))
        #else
        _ = noSignal
        #endif
    }

    deinit { close(descriptor) }

    /// Sends `text`; returns false if the server has closed the connection.
    @discardableResult
    public func send(_ text: String) async -> Bool { await send(Array(text.utf8)) }

    @discardableResult
    public func send(_ bytes: [UInt8]) async -> Bool {
        await blocking { self.sendNow(bytes) }
    }

    private func sendNow(_ bytes: [UInt8]) -> Bool {
        var sent = 0
        while sent < bytes.count {
            #if canImport(Glibc)
            let count = bytes[sent...].withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            #else
            let count = bytes[sent...].withUnsafeBytes { Darwin.send(descriptor, $0.baseAddress, $0.count, 0) }
            #endif
            guard count > 0 else { return false }
            sent += count
        }
        return true
    }

    /// No more bytes from this side (a half-close): the server sees the end of the request stream.
    public func finishSending() { shutdown(descriptor, Int32(SHUT_WR)) }

    /// Everything the server sends until it closes the connection, or until
    /// `seconds` pass; `closed` says which.
    public func receiveUntilClosed(within seconds: Double) async -> (text: String, closed: Bool) {
        await blocking { self.receiveUntilClosedNow(within: seconds) }
    }

    private func receiveUntilClosedNow(within seconds: Double) -> (text: String, closed: Bool) {
        var received = [UInt8]()
        let deadline = Date().addingTimeInterval(seconds)
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let left = deadline.timeIntervalSinceNow
            guard left > 0 else { return (String(decoding: received, as: UTF8.self), false) }
            var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, Int32(max(1, left * 1000)))
            if ready <= 0 { continue }
            let count = recv(descriptor, &buffer, buffer.count, 0)
            if count <= 0 { return (String(decoding: received, as: UTF8.self), true) }
            received += buffer[0..<count]
        }
    }

    /// One response, read up to the end of its head plus `Content-Length` bytes.
    public func receiveResponse(within seconds: Double) async -> String {
        await blocking { self.receiveResponseNow(within: seconds) }
    }

    private func receiveResponseNow(within seconds: Double) -> String {
        var received = [UInt8]()
        let deadline = Date().addingTimeInterval(seconds)
        var buffer = [UInt8](repeating: 0, count: 65536)
        while deadline.timeIntervalSinceNow > 0 {
            let text = String(decoding: received, as: UTF8.self)
            if let end = text.range(of: "\r\n\r\n") {
                let head = text[..<end.lowerBound].lowercased()
                let length =
                    head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
                    .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
                if text.utf8.count - text[..<end.upperBound].utf8.count >= length { return text }
            }
            var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 50) > 0 else { continue }
            let count = recv(descriptor, &buffer, buffer.count, 0)
            if count <= 0 { break }
            received += buffer[0..<count]
        }
        return String(decoding: received, as: UTF8.self)
    }
}

public enum RawSocket {
    /// Sends `request`, half-closes, and returns everything the server
    /// answered before closing.
    public static func exchange(port: Int, sending request: String, within seconds: Double = 10) async throws -> String {
        let connection = try RawConnection(port: port)
        await connection.send(request)
        connection.finishSending()
        return await connection.receiveUntilClosed(within: seconds).text
    }
}

extension String {
    /// The status code of an HTTP response's first line, if it has one.
    public var statusCode: Int? {
        guard hasPrefix("HTTP/1."), let line = split(separator: "\r\n").first else { return nil }
        let parts = line.split(separator: " ")
        return parts.count >= 2 ? Int(parts[1]) : nil
    }

    /// A header's value in an HTTP response's head.
    public func headerValue(_ name: String) -> String? {
        let head = components(separatedBy: "\r\n\r\n").first ?? ""
        for line in head.split(separator: "\r\n").dropFirst() {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == name.lowercased() { return parts[1].trimmingCharacters(in: .whitespaces) }
        }
        return nil
    }
}
