@_spi(Testing) import LithTestSupport
import Testing

@_spi(Testing) @testable import Lith

@Suite("Secure random bytes")
struct SecureRandomTests {
    @Test(arguments: [1, 32, 256, 257, 1000])
    func givesTheAskedNumberOfBytesAndNotAllZero(count: Int) {
        let bytes = SecureRandom.bytes(count)
        #expect(bytes.count == count)
        if count >= 32 { #expect(bytes.contains { $0 != 0 }) }
    }

    @Test func twoDrawsDiffer() {
        #expect(SecureRandom.bytes(32) != SecureRandom.bytes(32))
    }
}
