import Lith
import Testing

/// Whose address a request is from, behind trusted proxies and spoofed headers.
@Suite("Client address")
struct ClientAddressTests {
    let proxies = try! TrustedProxies(["10.0.0.0/8", "fd00::/8"])
    let forwardedProxies = try! TrustedProxies(["10.0.0.0/8", "fd00::/8"], header: .forwarded)

    private func ip(_ text: String) -> IPAddress {
        IPAddress(text)!
    }

    @Test func withNoPeerThereIsNoAddress() {
        // when
        let client = proxies.clientAddress(peer: nil, headerValues: ["198.51.100.9"])

        // then
        #expect(client == nil)
    }

    @Test func aSpoofedHeaderFromAnUntrustedPeerIsIgnored() {
        // when
        let client = proxies.clientAddress(peer: ip("203.0.113.7"), headerValues: ["127.0.0.1"])

        // then
        #expect(client == ip("203.0.113.7"))
    }

    @Test func withNoTrustedProxiesTheHeaderIsNeverBelieved() {
        // when
        let client = TrustedProxies.none.clientAddress(peer: ip("10.0.0.2"), headerValues: ["198.51.100.9"])

        // then
        #expect(client == ip("10.0.0.2"))
    }

    @Test(arguments: [[], [""], [" , ,"]] as [[String]])
    func aTrustedPeerWithoutEntriesIsTheClient(values: [String]) {
        // when
        let client = proxies.clientAddress(peer: ip("10.0.0.2"), headerValues: values)

        // then
        #expect(client == ip("10.0.0.2"))
    }

    @Test func theClientIsTheRightMostEntryThatIsNotATrustedProxy() {
        // given nginx's chain: proxy1 appended the client, proxy2 (the peer) appended proxy1
        let values = ["198.51.100.9, 10.0.0.1"]

        // when
        let client = proxies.clientAddress(peer: ip("10.0.0.2"), headerValues: values)

        // then
        #expect(client == ip("198.51.100.9"))
    }

    @Test(arguments: ["127.0.0.1, 198.51.100.9, 10.0.0.1", "10.9.9.9, 198.51.100.9, 10.0.0.1", "_x, 1.1.1.1, 198.51.100.9,10.0.0.1"])
    func entriesTheClientWroteOnTheLeftAreIgnored(value: String) {
        // when
        let client = proxies.clientAddress(peer: ip("10.0.0.2"), headerValues: [value])

        // then
        #expect(client == ip("198.51.100.9"))
    }

    @Test(arguments: [["203.0.113.5", "198.51.100.9"], ["198.51.100.9", "10.0.0.1"], ["203.0.113.5", "198.51.100.9, 10.0.0.1", ""]])
    func severalHeaderLinesAreOneListInOrder(values: [String]) {
        // when
        let client = proxies.clientAddress(peer: ip("10.0.0.2"), headerValues: values)

        // then
        #expect(client == ip("198.51.100.9"))
    }

    @Test(arguments: ["unknown", "_hidden", "not-an-address", "1.2.3.4.5", "010.0.0.1", "1.2.3.4 5.6.7.8"])
    func anEntryThatIsNotAnAddressStopsAtTheProxyThatForwardedIt(garbage: String) {
        // when
        let behindOne = proxies.clientAddress(peer: ip("10.0.0.2"), headerValues: ["198.51.100.9, \(garbage), 10.0.0.1"])
        let rightMost = proxies.clientAddress(peer: ip("10.0.0.2"), headerValues: ["198.51.100.9, \(garbage)"])

        // then
        #expect(behindOne == ip("10.0.0.1"))
        #expect(rightMost == ip("10.0.0.2"))
    }

    @Test func whenEveryEntryIsATrustedProxyTheLeftMostIsTheClient() {
        // when
        let client = proxies.clientAddress(peer: ip("10.0.0.2"), headerValues: ["10.0.0.3, 10.0.0.4", "fd00::1"])

        // then
        #expect(client == ip("10.0.0.3"))
    }

    @Test(arguments: ["[2001:db8:cafe::17]:4711, 10.0.0.1:80", "2001:db8:cafe::17, [fd00::1]", "2001:DB8:CAFE:0::17"])
    func entriesMayBeIPv6AndCarryPorts(value: String) {
        // when
        let client = proxies.clientAddress(peer: ip("fd00::2"), headerValues: [value])

        // then
        #expect(client == ip("2001:db8:cafe::17"))
    }

    @Test func anIPv4MappedPeerIsStillItsTrustedProxy() {
        // when
        let client = proxies.clientAddress(peer: ip("::ffff:10.0.0.2"), headerValues: ["198.51.100.9"])

        // then
        #expect(client == ip("198.51.100.9"))
    }

    @Test(
        arguments: [
            "for=\"[2001:db8:cafe::17]:4711\"", "For=2001:db8:cafe::17;proto=https;by=10.0.0.1", "proto=http; FOR=\"2001:db8:cafe::17\"",
            "for=198.51.100.1, for=\"[2001:db8:cafe::17]\";by=\"[fd00::9]\", for=10.0.0.1", ";for=2001:db8:cafe::17;;",
        ]
    )
    func theForwardedHeaderIsReadByItsForParameter(value: String) {
        // when
        let client = forwardedProxies.clientAddress(peer: ip("10.0.0.2"), headerValues: [value])

        // then
        #expect(client == ip("2001:db8:cafe::17"))
    }

    @Test(
        arguments: [
            "for=unknown", "for=_hidden", "by=10.0.0.9;proto=https", "for=192.0.2.43;for=198.51.100.1", "for=\"192.0.2.43",
            "for=\"\"", "for", "for=192.0.2.43;garbage", "for =192.0.2.43", "for=\"192.0.2.43;x=\"",
        ]
    )
    func aForwardedElementWithoutOneClearAddressStopsAtTheProxyThatForwardedIt(element: String) {
        // when
        let client = forwardedProxies.clientAddress(peer: ip("10.0.0.2"), headerValues: ["for=198.51.100.9, \(element), for=10.0.0.1"])

        // then
        #expect(client == ip("10.0.0.1"))
    }

    @Test func onlyTheConfiguredHeaderIsRead() {
        // given a client's own Forwarded header, passed through by an X-Forwarded-For proxy
        let fields = [
            (name: "Forwarded", value: "for=127.0.0.1"), (name: "X-Forwarded-For", value: "198.51.100.9"),
            (name: "x-forwarded-for", value: "10.0.0.1"), (name: "X-Real-IP", value: "127.0.0.1"),
        ]

        // when
        let client = proxies.clientAddress(peer: ip("10.0.0.2"), fields: fields)
        let fromForwarded = forwardedProxies.clientAddress(peer: ip("10.0.0.2"), fields: fields)

        // then
        #expect(client == ip("198.51.100.9"))
        #expect(fromForwarded == ip("127.0.0.1"))
    }

    @Test func eachHeaderIsReadInItsOwnSyntax() {
        // when
        let forwardedAsXFF = proxies.clientAddress(peer: ip("10.0.0.2"), headerValues: ["for=198.51.100.9"])
        let xffAsForwarded = forwardedProxies.clientAddress(peer: ip("10.0.0.2"), headerValues: ["198.51.100.9"])

        // then
        #expect(forwardedAsXFF == ip("10.0.0.2"))
        #expect(xffAsForwarded == ip("10.0.0.2"))
    }

    @Test func aHeaderPaddedOnTheLeftStillNamesTheClient() {
        // given
        let padding = String(repeating: "1.1.1.1, ", count: 10_000)

        // when
        let client = proxies.clientAddress(peer: ip("10.0.0.2"), headerValues: [padding + "198.51.100.9, 10.0.0.1"])

        // then
        #expect(client == ip("198.51.100.9"))
    }

    @Test func aChainLongerThanTheEntryLimitStopsAtTheLastProxyRead() {
        // given 100 trusted proxies, the client before them
        let chain = (0..<100).map { "10.0.0.\($0)" }

        // when
        let client = proxies.clientAddress(peer: ip("10.0.1.1"), headerValues: [(["198.51.100.9"] + chain).joined(separator: ",")])

        // then
        #expect(client == ip("10.0.0.\(100 - TrustedProxies.maximumEntries)"))
    }

    /// Blank space past the byte limit, and an entry whose last bytes alone
    /// would read as an address.
    static let spaces = String(repeating: " ", count: TrustedProxies.maximumHeaderBytes)
    static let longEntry = "1.2.3.4" + spaces + "203.0.113.66"

    @Test(
        arguments: [
            ["198.51.100.9, \(spaces), 10.0.0.1"], ["198.51.100.9", spaces, "10.0.0.1"],
            ["198.51.100.9", String(spaces.prefix(3_000)), String(spaces.prefix(3_000)), "10.0.0.1"],
        ]
    )
    func aHeaderLongerThanTheByteLimitStopsAtTheLastProxyRead(values: [String]) {
        // when
        let client = proxies.clientAddress(peer: ip("10.0.0.2"), headerValues: values)

        // then
        #expect(client == ip("10.0.0.1"))
    }

    @Test(arguments: [[longEntry + ", 10.0.0.1"], [longEntry, "10.0.0.1"]])
    func anEntryCutByTheByteLimitIsNotRead(values: [String]) {
        // when
        let client = proxies.clientAddress(peer: ip("10.0.0.2"), headerValues: values)

        // then
        #expect(client == ip("10.0.0.1"))
    }
}
