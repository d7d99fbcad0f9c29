/// scrypt's cost knobs. They travel inside every stored hash, so raising them
/// later only affects new hashes, and old ones are upgraded at the next login.
///
/// Every value accepted here can actually be computed: BoringSSL refuses
/// `N ≥ 2^(16·r)` and, with the memory swift-crypto grants it, `r > 16`
/// when `p = 1`, and a hash it refuses would fail every login (a 500).
public struct ScryptParameters: Sendable, Hashable, CustomStringConvertible {
    /// log2 of N, the CPU and memory cost.
    public let logN: Int
    /// Block size.
    public let r: Int
    /// Parallelism.
    public let p: Int

    /// OWASP Password Storage Cheat Sheet: N=2^17, r=8, p=1 (128 MiB, ~0.2–0.5 s a hash).
    public static let owasp = ScryptParameters(uncheckedLogN: 17, r: 8, p: 1)

    /// The cost the benchmarks use: N=2^14, r=8, p=1 (16 MiB a hash). Also
    /// the floor: nothing cheaper may be configured for new hashes, since
    /// below it online guessing gets cheap (1/8 of OWASP's cost is the most
    /// Lith will go under it, to keep benchmarks honest about memory).
    public static let benchmark = ScryptParameters(uncheckedLogN: 14, r: 8, p: 1)

    /// The least a configuration may ask for: ``benchmark``'s work.
    public static let floor = benchmark

    /// Fast and insecure, for test suites only: under the floor.
    @_spi(Testing) public static let testsOnly = ScryptParameters(uncheckedLogN: 4, r: 8, p: 1)

    public enum Problem: Error, Sendable, Equatable, CustomStringConvertible {
        case outOfRange(String)

        public var description: String {
            switch self {
            case .outOfRange(let message): message
            }
        }
    }

    /// Any parameters Lith can compute with, up to 1 GiB a hash: the bounds a
    /// stored hash is parsed with (so a tampered row can't ask for more).
    /// New hashes are held to ``meetsFloor`` as well, where they are configured.
    public init(logN: Int, r: Int, p: Int) throws(Problem) {
        guard (1...20).contains(logN) else { throw .outOfRange("scrypt log2(N) must be between 1 and 20, got \(logN)") }
        guard (1...16).contains(r) else { throw .outOfRange("scrypt r must be between 1 and 16, got \(r)") }
        guard (1...16).contains(p) else { throw .outOfRange("scrypt p must be between 1 and 16, got \(p)") }
        // RFC 7914 §2: N < 2^(128·r/8); with r = 1 that is N < 2^16.
        guard logN < 16 * r else { throw .outOfRange("scrypt with r=\(r) needs log2(N) below \(16 * r), got \(logN)") }
        guard 128 * (1 << logN) * r * p <= 1 << 30 else {
            throw .outOfRange("scrypt parameters ln=\(logN),r=\(r),p=\(p) need more than 1 GiB a hash")
        }
        self.init(uncheckedLogN: logN, r: r, p: p)
    }

    private init(uncheckedLogN logN: Int, r: Int, p: Int) {
        self.logN = logN
        self.r = r
        self.p = p
    }

    /// Parses the `ln=17,r=8,p=1` form that ``description`` writes.
    public init(parsing text: some StringProtocol) throws(Problem) {
        let text = Substring(text)
        var values: [Substring: Int] = [:]
        for pair in text.split(separator: ",") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, let number = Int(parts[1]), values[parts[0]] == nil else {
                throw .outOfRange("scrypt parameters must look like ln=17,r=8,p=1, got '\(text.logSafe)'")
            }
            values[parts[0]] = number
        }
        guard values.count == 3, let logN = values["ln"], let r = values["r"], let p = values["p"] else {
            throw .outOfRange("scrypt parameters must look like ln=17,r=8,p=1, got '\(text.logSafe)'")
        }
        try self.init(logN: logN, r: r, p: p)
    }

    /// Bytes scrypt needs for one hash: 128·N·r·p (an upper bound).
    public var memoryBytes: Int { 128 * (1 << logN) * r * p }

    /// The work of one hash, in units of scrypt's inner mixing: N·r·p.
    public var work: Int { (1 << logN) * r * p }

    /// Whether new hashes may be made with these: at least ``floor``'s work and memory.
    public var meetsFloor: Bool { work >= Self.floor.work && memoryBytes >= Self.floor.memoryBytes }

    public var description: String { "ln=\(logN),r=\(r),p=\(p)" }
}
