import Crypto
import CryptoExtras
import Foundation
import Testing

@_spi(Testing) @testable import Lith

/// scrypt parameters: every accepted combination computes, the impossible
/// ones are refused when parsed, and nothing under the floor is configured.
@Suite("scrypt parameters")
struct ScryptParametersTests {
    /// Whether BoringSSL computes a key with these parameters, with the
    /// memory swift-crypto grants it.
    static func computes(logN: Int, r: Int, p: Int) -> Bool {
        (try? KDF.Scrypt.deriveKey(from: [1, 2, 3], salt: [4, 5, 6], outputByteCount: 32, rounds: 1 << logN, blockSize: r, parallelism: p)) != nil
    }

    @Test func everyCombinationAcceptedComputesAndEveryRefusedOneWouldNot() async {
        // A grid of cheap parameters that crosses every rule: N < 2^(16·r)
        // (ln 15 and 16 with r = 1), r above 16 with p = 1, and p.
        var grid: [(Int, Int, Int)] = []
        for logN in [1, 2, 4, 8] {
            for r in [1, 2, 8, 16, 17, 20] {
                for p in [1, 2, 3] { grid.append((logN, r, p)) }
            }
        }
        grid += [(15, 1, 1), (16, 1, 1)]
        let cases = grid
        // scrypt blocks its thread: off the cooperative pool, which the
        // suites running beside this one need.
        let results = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(returning: cases.map { ($0, $1, $2, Self.computes(logN: $0, r: $1, p: $2)) })
            }
        }
        for (logN, r, p, computes) in results {
            let accepted = (try? ScryptParameters(logN: logN, r: r, p: p)) != nil
            if accepted {
                #expect(computes, "ln=\(logN),r=\(r),p=\(p) was accepted but fails")
            } else if r <= 16 {
                #expect(!computes, "ln=\(logN),r=\(r),p=\(p) was refused but computes")
            }
        }
    }

    @Test(arguments: [
        "ln=16,r=1,p=1", "ln=17,r=20,p=1", "ln=0,r=8,p=1", "ln=21,r=8,p=1", "ln=20,r=16,p=1", "ln=17", "ln=17,r=8,p=1,x=2", "ln=a,r=8,p=1",
    ])
    func impossibleOrMalformedParametersAreRefusedWhenParsed(text: String) {
        #expect(throws: ScryptParameters.Problem.self) { try ScryptParameters(parsing: text) }
    }

    @Test func theFloorIsTheBenchmarksCostAndTestsAloneGoUnder() throws {
        #expect(ScryptParameters.owasp.meetsFloor)
        #expect(ScryptParameters.benchmark.meetsFloor)
        #expect(try ScryptParameters(logN: 13, r: 8, p: 2).meetsFloor)
        #expect(!(try ScryptParameters(logN: 13, r: 8, p: 1)).meetsFloor)
        #expect(!ScryptParameters.testsOnly.meetsFloor)
    }

    @Test func aStoredHashMayAskForAtMostTwiceTodaysOrOWASPsCost() throws {
        let hasher = PasswordHasher(parameters: .owasp)
        let owasp = try PasswordHash(encoded: "$scrypt$ln=17,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
        let double = try PasswordHash(encoded: "$scrypt$ln=18,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
        let eightfold = try PasswordHash(encoded: "$scrypt$ln=20,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
        #expect(hasher.isUsable(owasp))
        #expect(hasher.isUsable(double))
        #expect(!hasher.isUsable(eightfold))
    }
}
