import Lith
import Testing

/// What counts as an IP address, how it prints, and which clients count as one.
@Suite("IP addresses")
struct IPAddressTests {
    @Test(arguments: ["0.0.0.0", "10.0.0.1", "192.0.2.1", "255.255.255.255"])
    func anIPv4AddressPrintsAsWritten(text: String) throws {
        // when
        let address = try #require(IPAddress(text))

        // then
        #expect(address.description == text)
        #expect(address.isIPv4)
    }

    @Test(
        arguments: [
            "", "1.2.3", "1.2.3.4.5", "256.0.0.1", "1.2.3.1000", "1..2.3", "1.2.3.4.", "-1.2.3.4", "0x7f.0.0.1", " 1.2.3.4",
            "1.2.3.4 ", "localhost", "１.2.3.4",
        ]
    )
    func aMalformedIPv4AddressIsRefused(text: String) {
        // when
        let address = IPAddress(text)

        // then
        #expect(address == nil)
    }

    @Test(arguments: ["010.0.0.1", "1.2.3.04", "127.0.0.01", "00.0.0.0"])
    func anOctetWithALeadingZeroIsRefusedAsPossiblyOctal(text: String) {
        // when (010 is 8 to inet_aton, 10 to most other parsers)
        let address = IPAddress(text)

        // then
        #expect(address == nil)
    }

    @Test(
        arguments: [
            ("2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1"), ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),
            ("2001:0:0:1:0:0:0:1", "2001:0:0:1::1"), ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"), ("::", "::"),
            ("::1", "::1"), ("1::", "1::"), ("::2:3:4:5:6:7:8", "0:2:3:4:5:6:7:8"), ("1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"),
            ("fe80::0:1:2", "fe80::1:2"), ("64:ff9b::192.0.2.33", "64:ff9b::c000:221"), ("1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:102:304"),
        ]
    )
    func anIPv6AddressPrintsInRFC5952Form(text: String, canonical: String) throws {
        // when
        let address = try #require(IPAddress(text))

        // then
        #expect(address.description == canonical)
        #expect(!address.isIPv4)
    }

    @Test(
        arguments: [
            ":", ":::", "1:::2", "1::2::3", ":1::2", "1::2:", "1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7::8", "12345::",
            "g::1", "::+1", "fe80::1%eth0", "::1.2.3.4.5", "1.2.3.4::", "::256.1.1.1", "::1.2.3.04", "1:2:3:4:5:6:7:1.2.3.4",
            "[::1]",
        ]
    )
    func aMalformedIPv6AddressIsRefused(text: String) {
        // when
        let address = IPAddress(text)

        // then
        #expect(address == nil)
    }

    @Test(arguments: ["::ffff:10.0.0.1", "::FFFF:a00:1", "0:0:0:0:0:ffff:10.0.0.1"])
    func anIPv4MappedAddressIsTheIPv4AddressItMaps(text: String) throws {
        // when
        let mapped = try #require(IPAddress(text))

        // then
        #expect(mapped == IPAddress("10.0.0.1"))
        #expect(Set([mapped, IPAddress("10.0.0.1")]).count == 1)
        #expect(mapped.description == "10.0.0.1")
        #expect(mapped.isIPv4)
    }

    @Test(
        arguments: [
            ("192.0.2.1", "192.0.2.1"), ("192.0.2.1:5678", "192.0.2.1"), ("[2001:db8::1]", "2001:db8::1"),
            ("[2001:db8::1]:443", "2001:db8::1"), ("2001:db8::1", "2001:db8::1"), ("[::ffff:192.0.2.1]:80", "192.0.2.1"),
            ("192.0.2.1:0", "192.0.2.1"), ("192.0.2.1:65535", "192.0.2.1"),
        ]
    )
    func aForwardedAddressMayHaveBracketsAndAPort(text: String, address: String) throws {
        // when
        let parsed = try #require(IPAddress(hostAndPort: text))

        // then
        #expect(parsed.description == address)
    }

    @Test(
        arguments: [
            "", "192.0.2.1:", "192.0.2.1:65536", "192.0.2.1:80a", "192.0.2.1:+80", "192.0.2.1:123456", "[2001:db8::1",
            "2001:db8::1]", "[2001:db8::1]443", "[2001:db8::1]:", "[2001:db8::1]:x", "[192.0.2.1]", "[192.0.2.1]:80", "[]",
            "unknown", "_hidden", "010.0.0.1:80",
        ]
    )
    func aForwardedAddressWithABadPortOrBracketsIsRefused(text: String) {
        // when
        let address = IPAddress(hostAndPort: text)

        // then
        #expect(address == nil)
    }

    @Test func overLongTextIsRefused() {
        // given
        let long = String(repeating: "1", count: 1 << 20) + ".2.3.4"

        // when
        let plain = IPAddress(long)
        let forwarded = IPAddress(hostAndPort: "[::" + String(repeating: "0", count: 1 << 20) + "1]:80")

        // then
        #expect(plain == nil)
        #expect(forwarded == nil)
    }

    @Test(
        arguments: [
            ("127.0.0.1", true), ("127.255.255.254", true), ("126.255.255.255", false), ("128.0.0.0", false), ("::1", true),
            ("::2", false), ("::", false), ("2001:db8::1", false), ("::ffff:127.0.0.1", true),
        ]
    )
    func loopbackIs127Slash8AndColonColonOne(text: String, isLoopback: Bool) throws {
        // when
        let address = try #require(IPAddress(text))

        // then
        #expect(address.isLoopback == isLoopback)
    }

    @Test(
        arguments: [
            ("10.0.0.0", true), ("10.255.255.255", true), ("9.255.255.255", false), ("11.0.0.0", false),
            ("172.16.0.0", true), ("172.31.255.255", true), ("172.15.255.255", false), ("172.32.0.0", false),
            ("192.168.0.0", true), ("192.168.255.255", true), ("192.167.255.255", false), ("192.169.0.0", false),
            ("100.64.0.0", true), ("100.127.255.255", true), ("100.63.255.255", false), ("100.128.0.0", false),
            ("169.254.0.0", true), ("169.254.255.255", true), ("169.253.255.255", false), ("169.255.0.0", false),
            ("fc00::", true), ("fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", true), ("fbff::", false), ("fe00::", false),
            ("fe80::1", true), ("febf:ffff::", true), ("fe7f::", false), ("fec0::", false),
            ("8.8.8.8", false), ("2001:db8::1", false), ("127.0.0.1", false), ("::ffff:192.168.1.1", true),
        ]
    )
    func privateNetworksAreKnownToTheirEdges(text: String, isPrivate: Bool) throws {
        // when
        let address = try #require(IPAddress(text))

        // then
        #expect(address.isPrivate == isPrivate)
    }

    @Test(
        arguments: [
            ("192.0.2.1", "192.0.2.1"), ("::ffff:192.0.2.1", "192.0.2.1"), ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
            ("2001:db8:1:2:8000::", "2001:db8:1:2::/64"), ("2001:db8:1:3::1", "2001:db8:1:3::/64"), ("2001:db8::1", "2001:db8::/64"),
            ("::1", "::/64"),
        ]
    )
    func anIPv6ClientIsThrottledByItsSlash64(text: String, group: String) throws {
        // when
        let address = try #require(IPAddress(text))

        // then
        #expect(address.throttleGroup == group)
    }
}
