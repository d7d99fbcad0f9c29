import NIOConcurrencyHelpers
import NIOCore
import NIOHTTPTypes

/// Closes a connection that was accepted but never handed to the server's
/// accept loop.
///
/// At shutdown, connections the kernel accepted just before the listener
/// closed can still sit in the server channel's buffer when the loop
/// stops reading it (swift-nio#2637). Their `NIOAsyncChannel` is then
/// released without `executeThenClose`, and NIO traps: "Deinited
/// NIOAsyncWriter without calling finish()" — the process crashes instead of
/// exiting, with its clients' requests unanswered (found by the transport
/// suite's SIGTERM check under CPU load). Here the last reference to such a
/// connection closes it the supported way instead.
final class UnservedConnection: Sendable {
    private let asyncChannel: NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>
    private let served = NIOLockedValueBox(false)

    init(_ asyncChannel: NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>) {
        self.asyncChannel = asyncChannel
    }

    /// The accept loop took the connection: its handler closes it.
    func markServed() { served.withLockedValue { $0 = true } }

    deinit {
        guard !served.withLockedValue({ $0 }) else { return }
        // `executeThenClose` finishes the writer and closes the socket; the
        // task keeps the channel alive until it has.
        let asyncChannel = self.asyncChannel
        Task { try? await asyncChannel.executeThenClose { _, _ in } }
    }
}
