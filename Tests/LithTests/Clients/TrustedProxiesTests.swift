import Lith
import Testing

/// Which peers are trusted proxies, and what counts as a network of them.
@Suite("Trusted proxies")
struct TrustedProxiesTests {
    @Test(
        arguments: [
            ("10.0.0.0/8", "10.0.0.0", true), ("10.0.0.0/8", "10.255.255.255", true), ("10.0.0.0/8", "9.255.255.255", false),
            ("10.0.0.0/8", "11.0.0.0", false), ("127.0.0.1", "127.0.0.1", true), ("127.0.0.1", "127.0.0.2", false),
            ("127.0.0.1/32", "127.0.0.0", false), ("192.168.1.128/25", "192.168.1.128", true),
            ("192.168.1.128/25", "192.168.1.255", true), ("192.168.1.128/25", "192.168.1.127", false),
            ("0.0.0.0/0", "8.8.8.8", true), ("0.0.0.0/0", "255.255.255.255", true), ("0.0.0.0/0", "::1", false),
            ("::/0", "2001:db8::1", true), ("::/0", "10.0.0.1", false), ("::1", "::1", true), ("::1", "::2", false),
            ("::1", "127.0.0.1", false), ("fd00::/8", "fd00::", true), ("fd00::/8", "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", true),
            ("fd00::/8", "fcff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", false), ("fd00::/8", "fe00::", false),
            ("2001:db8::/32", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", true), ("2001:db8::/32", "2001:db9::", false),
            ("2001:db8:1:2::/64", "2001:db8:1:2:ffff:ffff:ffff:ffff", true), ("2001:db8:1:2::/64", "2001:db8:1:3::", false),
            ("2001:db8::8000:0/97", "2001:db8::8000:0", true), ("2001:db8::8000:0/97", "2001:db8::ffff:ffff", true),
            ("2001:db8::8000:0/97", "2001:db8::7fff:ffff", false), ("2001:db8::1/128", "2001:db8::1", true),
            ("2001:db8::1/128", "2001:db8::2", false), ("::ffff:10.0.0.0/104", "10.1.2.3", true),
            ("::ffff:10.0.0.0/104", "11.0.0.0", false), ("10.0.0.1", "::ffff:10.0.0.1", true),
        ]
    )
    func aNetworkHoldsExactlyItsAddresses(spec: String, text: String, isMember: Bool) throws {
        // given
        let proxies = try TrustedProxies([spec])
        let address = try #require(IPAddress(text))

        // when
        let trusted = proxies.contains(address)

        // then
        #expect(trusted == isMember)
    }

    @Test(arguments: [("10.0.0.1/8", "10.0.0.0/8"), ("2001:db8::1/32", "2001:db8::/32"), ("192.168.1.1/31", "192.168.1.0/31")])
    func aNetworkWithHostBitsSetIsRefusedAsATypo(spec: String, network: String) {
        // when
        let problem = #expect(throws: TrustedProxies.Problem.self) { try TrustedProxies(["127.0.0.1", spec]) }

        // then
        #expect(problem?.description.contains("'\(spec)'") == true)
        #expect(problem?.description.contains("write \(network) for the network") == true)
    }

    @Test(
        arguments: [
            "10.0.0.0/33", "::/129", "::ffff:10.0.0.0/95", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/+8", "10.0.0.0/0008", "10.0.0.0/8/8",
            "10.0.0.0/ 8",
        ]
    )
    func aPrefixLengthOutOfRangeOrMalformedIsRefused(spec: String) {
        // when
        let problem = #expect(throws: TrustedProxies.Problem.self) { try TrustedProxies([spec]) }

        // then
        #expect(problem?.description.contains("'\(spec)'") == true)
    }

    @Test(arguments: ["proxy.internal", "10.0.0.0/8\nforged log line", "[::1]", "10.0.0.256"])
    func aBadEntryIsNamedOnOneLine(spec: String) {
        // when
        let problem = #expect(throws: TrustedProxies.Problem.self) { try TrustedProxies(["10.0.0.0/8", spec]) }

        // then
        #expect(problem?.description.hasPrefix("'\(spec.prefix { $0 != "\n" })") == true)
        #expect(problem?.description.contains("\n") == false)
    }

    @Test func blankEntriesAreSkipped() throws {
        // when
        let proxies = try TrustedProxies(["", "  ", " 10.0.0.0/8\t"])
        let blank = try TrustedProxies([" ", ""])

        // then
        #expect(proxies.contains(try #require(IPAddress("10.1.2.3"))))
        #expect(blank.isEmpty)
        #expect(blank == .none)
    }

    @Test func noProxiesTrustsNoOne() throws {
        // when
        let none = TrustedProxies.none

        // then
        #expect(none.isEmpty)
        #expect(!none.contains(try #require(IPAddress("127.0.0.1"))))
        #expect(none.description == "none")
    }

    @Test func theNetworksPrintInCanonicalForm() throws {
        // when
        let proxies = try TrustedProxies(["10.0.0.0/8", "::1", "2001:DB8::/32", "127.0.0.1", "::ffff:10.0.0.0/104"])

        // then
        #expect(proxies.description == "10.0.0.0/8, ::1/128, 2001:db8::/32, 127.0.0.1/32, 10.0.0.0/8")
        #expect(!proxies.isEmpty)
    }
}
