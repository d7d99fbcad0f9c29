import Lith
import Testing

/// The short name of a browser that the account page and the security log show.
@Suite("Browser summary")
struct BrowserSummaryTests {
    @Test(arguments: [
        // Windows
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
            "Firefox on Windows"
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
            "Chrome on Windows"
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
            "Edge on Windows"
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 OPR/116.0.0.0",
            "Opera on Windows"
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/70.0.3538.102 Safari/537.36 Edge/18.19045",
            "Edge on Windows"
        ),
        // macOS
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.2 Safari/605.1.15",
            "Safari on macOS"
        ),
        ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:133.0) Gecko/20100101 Firefox/133.0", "Firefox on macOS"),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
            "Chrome on macOS"
        ),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
            "Edge on macOS"
        ),
        // Linux and ChromeOS
        ("Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0", "Firefox on Linux"),
        ("Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0", "Firefox on Linux"),
        (
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
            "Chrome on Linux"
        ),
        (
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.6778.33 Safari/537.36",
            "Chrome on Linux"
        ),
        (
            "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
            "Chrome on ChromeOS"
        ),
        // Android
        (
            "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
            "Chrome on Android"
        ),
        ("Mozilla/5.0 (Android 14; Mobile; rv:133.0) Gecko/133.0 Firefox/133.0", "Firefox on Android"),
        (
            "Mozilla/5.0 (Linux; Android 14; SM-S921B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/27.0 Chrome/125.0.0.0 Mobile Safari/537.36",
            "Samsung Internet on Android"
        ),
        (
            "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36 EdgA/131.0.0.0",
            "Edge on Android"
        ),
        (
            "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36 OPR/86.0.0.0",
            "Opera on Android"
        ),
        (
            "Mozilla/5.0 (Linux; Android 9; CUBOT P30) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/108.0.0.0 Mobile Safari/537.36",
            "Chrome on Android"
        ),
        // iPhone and iPad
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 18_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.2 Mobile/15E148 Safari/604.1",
            "Safari on iPhone"
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 18_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1",
            "Chrome on iPhone"
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 18_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/133.0 Mobile/15E148 Safari/605.1.15",
            "Firefox on iPhone"
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 18_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 EdgiOS/131.2903.68 Mobile/15E148 Safari/605.1.15",
            "Edge on iPhone"
        ),
        (
            "Mozilla/5.0 (iPad; CPU OS 18_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1",
            "Chrome on iPad"
        ),
        (
            "Mozilla/5.0 (iPad; CPU OS 12_5_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/12.1.2 Mobile/15E148 Safari/604.1",
            "Safari on iPad"
        ),
    ])
    func browsersAreNamedWithTheirSystem(userAgent: String, expected: String) {
        #expect(BrowserSummary(userAgent: userAgent).description == expected)
    }

    @Test func anIPadThatClaimsToBeAMacIsReportedAsAMac() {
        // given Safari on iPadOS 13 or later, which sends a Mac's header by default
        let iPad = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.2 Safari/605.1.15"
        // when it is summarised
        let summary = BrowserSummary(userAgent: iPad)
        // then it is taken at its word
        #expect(summary.description == "Safari on macOS")
    }

    @Test(arguments: [
        ("curl/8.11.1", "curl"),
        ("Wget/1.25.0", "Wget"),
        ("python-requests/2.32.3", "Python script"),
        ("Python-urllib/3.12", "Python script"),
        ("Python/3.12 aiohttp/3.11.11", "Python script"),
        ("Go-http-client/2.0", "Go program"),
        ("okhttp/4.12.0", "Android app"),
        ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "Bot"),
        (
            "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.69 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
            "Bot"
        ),
        ("Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)", "Bot"),
        ("LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)", "Bot"),
        ("Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)", "Bot"),
        ("Mozilla/5.0 (compatible; SomeCrawler/1.0)", "Bot"),
    ])
    func toolsAndBotsAreNamedAlone(userAgent: String, expected: String) {
        #expect(BrowserSummary(userAgent: userAgent).description == expected)
    }

    @Test(arguments: [
        // GNOME Web and Android's old stock browser look like Safari, but
        // Safari runs only on Apple's systems.
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15",
        "Mozilla/5.0 (Linux; U; Android 4.0.3; en-us; GT-I9100 Build/IML74K) AppleWebKit/534.30 (KHTML, like Gecko) Version/4.0 Mobile Safari/534.30",
        // An app's web view on iOS names no browser, or only "Safari/"
        // without Safari's "Version/" (the Google app here).
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) GSA/349.0.700489478 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0",
        "Chrome",
        "",
    ])
    func whatCantBeRecognisedIsAnUnknownBrowser(userAgent: String) {
        #expect(BrowserSummary(userAgent: userAgent).description == "Unknown browser")
    }

    @Test func aBrowserOnASystemWithoutANameHereIsNamedAlone() {
        // given Firefox on FreeBSD, a system not on the list
        let freeBSD = "Mozilla/5.0 (X11; FreeBSD amd64; rv:133.0) Gecko/20100101 Firefox/133.0"
        // when it is summarised
        let summary = BrowserSummary(userAgent: freeBSD)
        // then the browser is named without a guess at the system
        #expect(summary.description == "Firefox")
    }

    @Test func noHeaderIsAnUnknownBrowser() {
        #expect(BrowserSummary(userAgent: nil).description == "Unknown browser")
    }

    /// Every summary there can be, written out here rather than taken from
    /// the type, so a name that leaks from the header can't hide in it.
    static let everySummary: Set<String> = {
        let browsers = ["Firefox", "Chrome", "Edge", "Opera", "Samsung Internet", "Safari"]
        let systems = ["Windows", "macOS", "iPhone", "iPad", "Android", "Linux", "ChromeOS"]
        let alone = ["curl", "Wget", "Python script", "Go program", "Android app", "Bot", "Unknown browser"]
        return Set(browsers + alone + browsers.flatMap { browser in systems.map { "\(browser) on \($0)" } })
    }()

    @Test(arguments: [
        "<script>alert(1)</script> Chrome/131.0 (Windows NT 10.0)",
        "Mozilla/5.0 (Windows NT 10.0\r\nX-Forged: yes) Firefox/133.0",
        "Mozilla/5.0 (\u{0}\u{1B}[31m\u{202E}Linux\u{2028}) Firefox/133.0 \"><img src=x onerror=alert(1)>",
        "Firefox/133.0 on Evil OS",
        String(repeating: "<b>Firefox/1 on Windows</b>\n", count: 4000),
        String(repeating: "\u{1F600}é\u{0}", count: 30_000),
    ])
    func aHostileHeaderIsNeverEchoed(userAgent: String) {
        // given a header an attacker wrote: markup, control characters, 100 KB
        // when it is summarised
        let summary = BrowserSummary(userAgent: userAgent).description
        // then the summary is one of the fixed names, nothing of the header
        #expect(Self.everySummary.contains(summary))
    }

    @Test func onlyTheStartOfALongHeaderIsRead() {
        // given a 100 KB header whose browser is named only past the first 512 bytes
        let padding = String(repeating: "A", count: 100_000)
        let late = "Mozilla/5.0 (X11; Linux x86_64) " + padding + " Firefox/133.0"
        // when it is summarised
        let summary = BrowserSummary(userAgent: late)
        // then the name is never reached
        #expect(summary.description == "Unknown browser")
        // while a name within the first 512 bytes is found
        let early = "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0 " + padding
        #expect(BrowserSummary(userAgent: early).description == "Firefox on Linux")
    }
}
