import NIOConcurrencyHelpers

/// Whether the client a request came from is still connected, for work that
/// is only worth doing for someone who will read the answer.
///
/// Lith's HTTP channel sets ``current`` for every request it serves. The
/// password hasher checks it before a job starts and drops jobs whose client
/// has gone: otherwise a script that sends forty login POSTs and hangs up at
/// once still makes the server compute forty hashes (a cheap way to make real
/// logins wait). A client that closes its sending side before its response
/// counts as gone, as it does for nginx and Go's server.
public final class ClientPresence: Sendable {
    /// The presence of the client whose request the current task serves;
    /// `nil` outside Lith's channel (tests through the router, other servers).
    @TaskLocal public static var current: ClientPresence?

    private let state = NIOLockedValueBox(State())

    private struct State {
        var gone = false
        var nextID = 0
        var onGone: [Int: @Sendable () -> Void] = [:]
    }

    public init() {}

    public var isGone: Bool { state.withLockedValue { $0.gone } }

    /// Calls `action` once, when the client goes; returns a key to
    /// ``forget(_:)`` it with, or `nil` (and calls nothing) if it has gone.
    func whenGone(_ action: @escaping @Sendable () -> Void) -> Int? {
        state.withLockedValue { state in
            guard !state.gone else { return nil }
            state.nextID += 1
            state.onGone[state.nextID] = action
            return state.nextID
        }
    }

    func forget(_ key: Int) {
        _ = state.withLockedValue { $0.onGone.removeValue(forKey: key) }
    }

    /// The client closed its side or the connection ended.
    func markGone() {
        let actions = state.withLockedValue { state -> [@Sendable () -> Void] in
            guard !state.gone else { return [] }
            state.gone = true
            defer { state.onGone = [:] }
            return Array(state.onGone.values)
        }
        for action in actions { action() }
    }
}
