/// scrypt's cost knobs. They travel inside every stored hash, so raising them
/// later only affects new hashes, and old ones are upgraded at the next login.
public struct ScryptParameters: Sendable, Hashable, CustomStringConvertible {
    /// log2 of N, the CPU and memory cost.
    public let logN: Int
    /// Block size.
    public let r: Int
    /// Parallelism.
    public let p: Int

    /// OWASP Password Storage Cheat Sheet: N=2^17, r=8, p=1 (128 MiB, ~0.2–0.5 s a hash).
    public static let owasp = ScryptParameters(uncheckedLogN: 17, r: 8, p: 1)

    /// The cost the benchmarks use: N=2^14, r=8, p=1 (16 MiB a hash).
    public static let benchmark = ScryptParameters(uncheckedLogN: 14, r: 8, p: 1)

    /// Fast and insecure, for test suites only.
    public static let testsOnly = ScryptParameters(uncheckedLogN: 4, r: 8, p: 1)

    public enum Problem: Error, Sendable, Equatable, CustomStringConvertible {
        case outOfRange(String)

        public var description: String {
            switch self {
            case .outOfRange(let message): message
            }
        }
    }

    /// Bounds keep a tampered stored hash or a typo in a flag from asking for
    /// more memory than a server has: one hash may use at most 1 GiB.
    public init(logN: Int, r: Int, p: Int) throws(Problem) {
        guard (1...20).contains(logN) else { throw .outOfRange("scrypt log2(N) must be between 1 and 20, got \(logN)") }
        guard (1...32).contains(r) else { throw .outOfRange("scrypt r must be between 1 and 32, got \(r)") }
        guard (1...16).contains(p) else { throw .outOfRange("scrypt p must be between 1 and 16, got \(p)") }
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
                throw .outOfRange("scrypt parameters must look like ln=17,r=8,p=1, got '\(text)'")
            }
            values[parts[0]] = number
        }
        guard values.count == 3, let logN = values["ln"], let r = values["r"], let p = values["p"] else {
            throw .outOfRange("scrypt parameters must look like ln=17,r=8,p=1, got '\(text)'")
        }
        try self.init(logN: logN, r: r, p: p)
    }

    /// Bytes scrypt needs for one hash: 128·N·r·p.
    public var memoryBytes: Int { 128 * (1 << logN) * r * p }

    public var description: String { "ln=\(logN),r=\(r),p=\(p)" }
}
