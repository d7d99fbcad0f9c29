import NIOConcurrencyHelpers

/// Makes every failed login cost the same, whatever the account: an unknown
/// email, a wrong password for a hash at today's parameters, and a wrong
/// password for a hash made before the parameters changed would otherwise
/// take different times, and the difference tells an attacker which
/// accounts exist (CWE-208, observable timing discrepancy).
///
/// It knows the parameters of the stored hashes (``PasswordHasher/learnStoredParameters(_:)``)
/// and what one hash at each costs, measured on the hashing threads. The
/// dummy verification for an unknown email runs at the dearest of them; a
/// failed verification at cheaper parameters is padded, by sleeping, up to
/// what the dearest costs. Queueing for a thread is the same for all three,
/// so only the hash itself needs evening out.
final class FailureCost: Sendable {
    private struct State {
        /// Seconds per hash, a moving average of what each parameter set took.
        var seconds: [ScryptParameters: Double] = [:]
        var dearest: ScryptParameters
    }

    private let state: NIOLockedValueBox<State>

    init(current: ScryptParameters) {
        state = NIOLockedValueBox(State(dearest: current))
    }

    /// The parameters a dummy verification runs at.
    var dearest: ScryptParameters { state.withLockedValue { $0.dearest } }

    /// Whether `parameters` have been seen (measured or noted).
    func knows(_ parameters: ScryptParameters) -> Bool {
        state.withLockedValue { $0.seconds[parameters] != nil }
    }

    /// One hash at `parameters` took `seconds` of a hashing thread's time.
    func note(_ parameters: ScryptParameters, took seconds: Double) {
        state.withLockedValue { state in
            // Weighted towards history: one hash slowed by a busy machine
            // moves the estimate a little, not all the way.
            state.seconds[parameters] = state.seconds[parameters].map { $0 * 0.8 + seconds * 0.2 } ?? seconds
            if parameters.work > state.dearest.work { state.dearest = parameters }
        }
    }

    /// How much longer a failed verification that took `seconds` at
    /// `parameters` must last to cost what one at the dearest parameters costs.
    func padding(after seconds: Double, at parameters: ScryptParameters) -> Double {
        state.withLockedValue { state in
            guard parameters != state.dearest, let target = state.seconds[state.dearest] else { return 0 }
            return max(0, target - seconds)
        }
    }
}
