import Crypto
@_spi(Testing) import LithTestSupport
import Testing

@_spi(Testing) @testable import Lith

@Suite("HMAC-SHA-256")
struct HMACSHA256Tests {
    /// RFC 4231 test cases 1, 2 and 6 (the last with a key longer than a block).
    @Test(arguments: [
        (
            [UInt8](repeating: 0x0B, count: 20), Array("Hi There".utf8),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        ),
        (
            Array("Jefe".utf8), Array("what do ya want for nothing?".utf8),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        ),
        (
            [UInt8](repeating: 0xAA, count: 131), Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        ),
    ])
    func matchesTheRFC4231Vectors(key: [UInt8], message: [UInt8], expectedHex: String) {
        var mac = HMACSHA256(key: SymmetricKey(data: key))
        message.withUnsafeBytes { mac.update(bufferPointer: $0) }
        #expect(mac.finalize().hexString == expectedHex)
    }

    @Test func givesSwiftCryptosBytesForMessagesFedInPieces() {
        for length in [0, 1, 55, 56, 63, 64, 65, 200] {
            // Given a random key and message
            let key = SymmetricKey(size: .bits256)
            let message = SecureRandom.bytes(length)
            // When the message is fed in two pieces to a copy of one keyed MAC
            let keyed = HMACSHA256(key: key)
            var mac = keyed
            let cut = length / 3
            message[..<cut].withUnsafeBytes { mac.update(bufferPointer: $0) }
            message[cut...].withUnsafeBytes { mac.update(bufferPointer: $0) }
            // Then it equals swift-crypto's HMAC of the whole message, and the original is untouched
            #expect(mac.finalize().hexString == HMAC<SHA256>.authenticationCode(for: message, using: key).hexString)
            #expect(keyed.finalize().hexString == HMAC<SHA256>.authenticationCode(for: [UInt8](), using: key).hexString)
        }
    }
}
