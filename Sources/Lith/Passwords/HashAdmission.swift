import NIOConcurrencyHelpers

/// The door in front of the hashing pool: how many password hashes run at
/// once, and who may wait for one.
///
/// A hash costs a server a quarter of a second of a core at OWASP's cost;
/// an anonymous client costs a few bytes per login POST. Without a door, a
/// script can queue hashes faster than they run, and every real login waits
/// behind the queue — minutes, and the queue keeps draining after the attack
/// stops. So a job may wait for a slot at most ``maximumWait``; a job that
/// would wait longer, judged by how long hashes have been taking, is turned
/// away at once (``PasswordHasher/Overloaded``: a 503, costing no hash), and a
/// job whose client has hung up (``ClientPresence``) is dropped before it starts.
final class HashAdmission: Sendable {
    let slots: Int
    let maximumWait: Duration
    /// A ceiling on waiting jobs whatever the estimate says, so memory held
    /// by waiting requests stays bounded even before the first hash is timed.
    static let maximumWaiting = 1024
    /// Before any hash has been timed: this many waiting jobs per slot (the
    /// deadline still bounds how long each waits).
    static let waitingPerSlotUntilTimed = 32

    private let state = NIOLockedValueBox(State())

    private struct State {
        var running = 0
        var waiting: [Waiter] = []
        var nextID = 0
        /// Jobs between taking a number and their decision: a cancellation
        /// in that window is remembered here and honoured at the decision.
        var undecided: Set<Int> = []
        var cancelledEarly: Set<Int> = []
        /// Seconds a hash has been taking (moving average), once one has been timed.
        var averageSeconds: Double?
    }

    private struct Waiter {
        let id: Int
        let due: ContinuousClock.Instant
        let continuation: CheckedContinuation<Void, any Error>
    }

    init(slots: Int, maximumWait: Duration) {
        self.slots = max(1, slots)
        self.maximumWait = maximumWait
    }

    /// Runs `work` in a slot, after waiting for one if need be.
    func run<T>(_ work: () async throws -> T) async throws -> T {
        try await acquire()
        let start = ContinuousClock.now
        do {
            let result = try await work()
            release(took: .now - start)
            return result
        } catch {
            release(took: .now - start)
            throw error
        }
    }

    /// Sets how long hashes are taken to last, as if timed (for tests, which
    /// can't rely on a busy machine's timing).
    func assumeHashesTake(_ seconds: Double) {
        state.withLockedValue { $0.averageSeconds = seconds }
    }

    /// Jobs waiting for a slot now (for tests and the log).
    var waitingCount: Int { state.withLockedValue { $0.waiting.count } }

    // MARK: the door

    private enum Decision {
        case go
        case wait
        case refuse(any Error)
    }

    private func acquire() async throws {
        let presence = ClientPresence.current
        if presence?.isGone == true { throw PasswordHasher.ClientGone() }
        try Task.checkCancellation()
        let id = state.withLockedValue { state in
            state.nextID &+= 1
            state.undecided.insert(state.nextID)
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let decision = state.withLockedValue { state -> Decision in
                    state.undecided.remove(id)
                    if state.cancelledEarly.remove(id) != nil { return .refuse(CancellationError()) }
                    if state.running < slots, state.waiting.isEmpty {
                        state.running += 1
                        return .go
                    }
                    if let refusal = refusal(waitingAhead: state.waiting.count, averageSeconds: state.averageSeconds) {
                        return .refuse(refusal)
                    }
                    state.waiting.append(Waiter(id: id, due: .now + maximumWait, continuation: continuation))
                    return .wait
                }
                switch decision {
                case .go: continuation.resume()
                case .refuse(let error): continuation.resume(throwing: error)
                case .wait:
                    // A client that hangs up while waiting gives its place up.
                    if let presence, presence.whenGone({ [self] in drop(id, with: PasswordHasher.ClientGone()) }) == nil {
                        drop(id, with: PasswordHasher.ClientGone())
                    }
                }
            }
        } onCancel: {
            drop(id, with: CancellationError())
        }
    }

    /// Why a new job must not wait, if it mustn't: the jobs ahead of it would
    /// keep it past ``maximumWait``, or too many wait already.
    private func refusal(waitingAhead: Int, averageSeconds: Double?) -> PasswordHasher.Overloaded? {
        let waitLimit = Double(maximumWait.components.seconds) + Double(maximumWait.components.attoseconds) / 1e18
        if let averageSeconds {
            let expected = Double(waitingAhead + 1) * averageSeconds / Double(slots)
            if expected > waitLimit || waitingAhead >= Self.maximumWaiting {
                return PasswordHasher.Overloaded(retryAfterSeconds: max(1, Int(expected.rounded(.up))))
            }
            return nil
        }
        if waitingAhead >= min(Self.maximumWaiting, slots * Self.waitingPerSlotUntilTimed) {
            return PasswordHasher.Overloaded(retryAfterSeconds: max(1, Int(waitLimit.rounded(.up))))
        }
        return nil
    }

    /// A slot is free: the next waiter still in time gets it; waiters past
    /// their deadline are turned away (the estimate was wrong for them).
    private func release(took duration: Duration) {
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        let now = ContinuousClock.now
        let (next, late) = state.withLockedValue { state -> (Waiter?, [Waiter]) in
            state.averageSeconds = state.averageSeconds.map { $0 * 0.8 + seconds * 0.2 } ?? seconds
            var late: [Waiter] = []
            while let first = state.waiting.first {
                state.waiting.removeFirst()
                if first.due < now {
                    late.append(first)
                } else {
                    return (first, late)  // the slot passes to it: `running` stays
                }
            }
            state.running -= 1
            return (nil, late)
        }
        for waiter in late { waiter.continuation.resume(throwing: PasswordHasher.Overloaded(retryAfterSeconds: 5)) }
        next?.continuation.resume()
    }

    /// Takes waiter `id` out of the line, if it is still in it.
    private func drop(_ id: Int, with error: any Error) {
        let waiter = state.withLockedValue { state -> Waiter? in
            guard let index = state.waiting.firstIndex(where: { $0.id == id }) else {
                if state.undecided.contains(id) { state.cancelledEarly.insert(id) }
                return nil
            }
            return state.waiting.remove(at: index)
        }
        waiter?.continuation.resume(throwing: error)
    }
}
