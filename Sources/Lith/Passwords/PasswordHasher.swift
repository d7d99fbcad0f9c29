import Crypto
import CryptoExtras
import NIOCore
import NIOPosix

/// Hashes and verifies passwords with scrypt on a pool of its own threads.
///
/// The pool has one thread per permitted concurrent hash, so a storm of logins
/// queues here instead of blocking the event loops that serve page views, and
/// memory stays bounded at `maximumConcurrentHashes × parameters.memoryBytes`.
/// The queue itself is bounded in time (``maximumWait``, see ``HashAdmission``):
/// past it a hash is refused with ``Overloaded``, at no cost.
public final class PasswordHasher: PasswordHashing {
    /// The cost new hashes get; older hashes are upgraded to it at login.
    public let parameters: ScryptParameters
    public let maximumConcurrentHashes: Int
    /// The longest a hash may wait for a free thread: what a person waits
    /// after pressing a button before deciding the site is broken. 20 people
    /// signing up in one second at OWASP's cost fit in it on 2 cores.
    public static let defaultMaximumWait: Duration = .seconds(6)
    private let pool: NIOThreadPool
    private let admission: HashAdmission
    private let failureCost: FailureCost

    public init(parameters: ScryptParameters = .owasp, maximumConcurrentHashes: Int = System.coreCount, maximumWait: Duration = defaultMaximumWait) {
        self.parameters = parameters
        self.maximumConcurrentHashes = max(1, maximumConcurrentHashes)
        self.pool = NIOThreadPool(numberOfThreads: self.maximumConcurrentHashes)
        self.admission = HashAdmission(slots: self.maximumConcurrentHashes, maximumWait: maximumWait)
        self.failureCost = FailureCost(current: parameters)
        self.pool.start()
    }

    /// Too many hashes are waiting already: this one would wait longer than
    /// ``maximumWait``. Nothing was computed; try again after `retryAfterSeconds`.
    public struct Overloaded: Error, Sendable, Equatable {
        public let retryAfterSeconds: Int
    }

    /// The client that asked for this hash has hung up (``ClientPresence``):
    /// it was dropped before it started.
    public struct ClientGone: Error, Sendable, Equatable {}

    /// The longest a hash may wait for a thread before it is refused.
    public var maximumWait: Duration { admission.maximumWait }

    /// Runs scrypt on the pool, once admitted, and notes what it cost the
    /// thread (``FailureCost``). Returns the key and that cost in seconds.
    private func derive(_ password: [UInt8], salt: [UInt8], parameters: ScryptParameters, length: Int) async throws -> ([UInt8], Double) {
        let (key, seconds) = try await admission.run {
            try await pool.runIfActive {
                HashingThreadPriority.lowerCurrentThread()
                let start = ContinuousClock.now
                let key = try Self.derive(password, salt: salt, parameters: parameters, length: length)
                let elapsed = ContinuousClock.now - start
                return (key, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
            }
        }
        failureCost.note(parameters, took: seconds)
        return (key, seconds)
    }

    deinit {
        pool.shutdownGracefully { _ in }
    }

    /// A new hash with a fresh random salt and the current parameters.
    public func hash(_ password: Password) async throws -> PasswordHash {
        let parameters = self.parameters
        let salt = SecureRandom.bytes(PasswordHash.saltLength)
        let (key, _) = try await derive(password.bytes, salt: salt, parameters: parameters, length: PasswordHash.keyLength)
        return PasswordHash(parameters: parameters, salt: salt, key: key)
    }

    /// Whether `password` produced `hash`, compared in constant time. A
    /// wrong password for a hash cheaper than the dearest stored one is
    /// answered only after what the dearest costs (``FailureCost``).
    public func verify(_ password: Password, against hash: PasswordHash) async throws -> Bool {
        let (derived, seconds) = try await derive(password.bytes, salt: hash.salt, parameters: hash.parameters, length: hash.key.count)
        guard ConstantTime.equals(derived, hash.key) else {
            let padding = failureCost.padding(after: seconds, at: hash.parameters)
            if padding > 0 { try? await Task.sleep(for: .seconds(padding)) }
            return false
        }
        return true
    }

    /// Spends what a real verification costs and throws the result away, so a
    /// login for an unknown email takes as long as one with a wrong password
    /// (Django's `authenticate` does the same against user enumeration) —
    /// at the dearest parameters of any stored hash, not merely today's.
    public func verifyDummy(_ password: Password) async throws {
        let salt = SecureRandom.bytes(PasswordHash.saltLength)
        _ = try await derive(password.bytes, salt: salt, parameters: failureCost.dearest, length: PasswordHash.keyLength)
    }

    /// Times one throwaway hash, so that the queue knows how long hashes take
    /// (and so how many may wait) before the first visitor arrives.
    public func warmUp() async {
        _ = try? await verifyDummy(try Password("warm up the hashing queue"))
    }

    /// The parameters of hashes in the store (``UserStore/passwordHashSettings()``):
    /// each usable set not yet seen is timed once, so failed logins can be
    /// evened out to the dearest of them from the first one on.
    public func learnStoredParameters(_ stored: [ScryptParameters]) async {
        for parameters in Set(stored) where !failureCost.knows(parameters) && isUsable(parameters) {
            let salt = SecureRandom.bytes(PasswordHash.saltLength)
            _ = try? await derive(Array("time one hash".utf8), salt: salt, parameters: parameters, length: PasswordHash.keyLength)
        }
    }

    /// The parameters a dummy verification runs at: the dearest known.
    public var dummyParameters: ScryptParameters { failureCost.dearest }

    /// Whether a stored hash was made with other parameters than today's.
    public func needsUpgrade(_ hash: PasswordHash) -> Bool {
        hash.parameters != parameters
    }

    /// Stored hashes may ask for at most twice the work and memory of
    /// today's parameters or OWASP's, whichever is more: room for hashes
    /// made before the parameters were lowered, none for a tampered row.
    public func isUsable(_ hash: PasswordHash) -> Bool {
        isUsable(hash.parameters)
    }

    private func isUsable(_ stored: ScryptParameters) -> Bool {
        let work = max(parameters.work, ScryptParameters.owasp.work)
        let memory = max(parameters.memoryBytes, ScryptParameters.owasp.memoryBytes)
        return stored.work <= 2 * work && stored.memoryBytes <= 2 * memory
    }

    private static func derive(_ password: [UInt8], salt: [UInt8], parameters: ScryptParameters, length: Int) throws -> [UInt8] {
        let key = try KDF.Scrypt.deriveKey(
            from: password,
            salt: salt,
            outputByteCount: length,
            rounds: 1 << parameters.logN,
            blockSize: parameters.r,
            parallelism: parameters.p
        )
        return key.withUnsafeBytes { Array($0) }
    }
}
