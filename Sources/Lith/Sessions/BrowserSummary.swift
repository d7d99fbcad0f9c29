/// A short, human name for what sent a `User-Agent` header: "Firefox on
/// Linux", "Safari on iPhone", "curl", "Unknown browser". The account page
/// lists sessions by it and the security log records it.
///
/// The header is written by whoever sends the request, so none of it is ever
/// echoed: ``description`` is always put together from a fixed set of names
/// below, whatever the header holds, and is safe to log. Only the first
/// 512 bytes are read, so a long header costs no more than a short one.
public struct BrowserSummary: Sendable, Hashable, CustomStringConvertible {
    /// Real headers name their browser and system well within this.
    static let inspectedBytes = 512

    private let client: Client?
    private let system: System?

    /// Reads `userAgent`; `nil` or empty gives "Unknown browser".
    public init(userAgent: String?) {
        let header = Header(bytes: Array((userAgent ?? "").utf8.prefix(Self.inspectedBytes)))
        let client = Client(header)
        self.client = client
        // curl or a bot says nothing reliable about the machine it runs on.
        self.system = client?.isBrowser == true ? System(header) : nil
    }

    /// "<Browser> on <system>", "<Browser>" or "<tool>" when there is no
    /// system to name, or "Unknown browser".
    public var description: String {
        guard let client else { return "Unknown browser" }
        guard let system else { return client.rawValue }
        return client.rawValue + " on " + system.rawValue
    }
}

extension BrowserSummary {
    private enum Client: String {
        case edge = "Edge"
        case opera = "Opera"
        case samsungInternet = "Samsung Internet"
        case firefox = "Firefox"
        case chrome = "Chrome"
        case safari = "Safari"
        // Not browsers: named without a system.
        case bot = "Bot"
        case curl = "curl"
        case wget = "Wget"
        case python = "Python script"
        case go = "Go program"
        case androidApp = "Android app"

        /// First match wins, and the order matters: Edge, Opera and Samsung
        /// Internet also send "Chrome/" and "Safari/", Chrome sends "Safari/".
        /// Vivaldi and Brave send nothing of their own and pass for Chrome.
        static let products: [(Client, [String])] = [
            (.edge, ["Edg/", "EdgA/", "EdgiOS/", "Edge/"]),
            (.opera, ["OPR/"]),
            (.samsungInternet, ["SamsungBrowser/"]),
            (.firefox, ["Firefox/", "FxiOS/"]),
            // "Chrome/" is also in "HeadlessChrome/".
            (.chrome, ["Chrome/", "CriOS/"]),
            (.curl, ["curl/"]),
            (.wget, ["Wget/"]),
            (.python, ["python-requests/", "Python-urllib/", "aiohttp/"]),
            (.go, ["Go-http-client/"]),
            // OkHttp is what most Android apps make their requests with.
            (.androidApp, ["okhttp/"]),
        ]

        init?(_ header: Header) {
            // Before the browsers: a crawler's header often copies Chrome's
            // whole ("... Chrome/120 Mobile Safari/537.36 (compatible; Googlebot/2.1)").
            if header.namesABot {
                self = .bot
                return
            }
            if let product = Self.products.first(where: { header.containsAny(of: $0.1) }) {
                self = product.0
                return
            }
            // Last, as everything WebKit-based sends "Safari/". Safari also
            // needs an Apple system: GNOME Web and Android's old stock
            // browser send "Version/… Safari/" too.
            if header.contains("Version/"), header.contains("Safari/"),
                let system = System(header), [.macOS, .iPhone, .iPad].contains(system)
            {
                self = .safari
                return
            }
            return nil
        }

        var isBrowser: Bool {
            switch self {
            case .edge, .opera, .samsungInternet, .firefox, .chrome, .safari: true
            case .bot, .curl, .wget, .python, .go, .androidApp: false
            }
        }
    }

    private enum System: String {
        case windows = "Windows"
        case iPhone = "iPhone"
        case iPad = "iPad"
        case android = "Android"
        case chromeOS = "ChromeOS"
        case macOS = "macOS"
        case linux = "Linux"

        /// First match wins: iOS says "like Mac OS X" and Android says
        /// "Linux". An iPad on iPadOS 13 or later claims "Macintosh" and
        /// can't be told from a Mac, so it is reported as macOS.
        static let markers: [(System, [String])] = [
            (.windows, ["Windows"]),
            (.iPhone, ["iPhone"]),
            (.iPad, ["iPad"]),
            (.android, ["Android"]),
            (.chromeOS, ["CrOS"]),
            (.macOS, ["Macintosh", "Mac OS X"]),
            (.linux, ["Linux"]),
        ]

        init?(_ header: Header) {
            guard let marker = Self.markers.first(where: { header.containsAny(of: $0.1) }) else { return nil }
            self = marker.0
        }
    }

    /// The inspected bytes of a header, searched as bytes: no regular
    /// expressions, no Unicode processing, and no allocation past the one
    /// copy of at most 512 bytes.
    private struct Header {
        let bytes: [UInt8]

        func contains(_ needle: String, ignoringCase: Bool = false) -> Bool {
            bytes.indices.contains { has(needle, at: $0, ignoringCase: ignoringCase) }
        }

        func containsAny(of needles: [String]) -> Bool {
            needles.contains { contains($0) }
        }

        /// "bot", "spider" or "crawler" in any case, as crawlers name
        /// themselves (Googlebot, bingbot, Baiduspider) — but not the "bot"
        /// of a Cubot phone's model name, which Android browsers send.
        var namesABot: Bool {
            let bot = bytes.indices.contains {
                has("bot", at: $0, ignoringCase: true) && !($0 >= 2 && has("cu", at: $0 - 2, ignoringCase: true))
            }
            return bot || contains("spider", ignoringCase: true) || contains("crawler", ignoringCase: true)
        }

        /// Whether `needle` (ASCII; lowercase when `ignoringCase`) starts at `offset`.
        private func has(_ needle: String, at offset: Int, ignoringCase: Bool) -> Bool {
            var index = offset
            for expected in needle.utf8 {
                guard index < bytes.count else { return false }
                var byte = bytes[index]
                if ignoringCase, byte >= UInt8(ascii: "A"), byte <= UInt8(ascii: "Z") { byte |= 0x20 }
                guard byte == expected else { return false }
                index += 1
            }
            return true
        }
    }
}
