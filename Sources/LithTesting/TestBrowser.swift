import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Lith
import NIOCore

/// A browser for tests of apps built on Lith: it keeps cookies, reads the CSRF
/// token from the form it submits, and offers the account flows as one call
/// each — the counterpart of Django's `client.login()`. Works over any of
/// Hummingbird's test clients (`.router`, `.live`).
public actor TestBrowser {
    private let client: any TestClientProtocol
    private var jar = CookieJar()
    /// Headers sent with every request, e.g. a `User-Agent` or `Origin`.
    private let defaultHeaders: HTTPFields

    public init(_ client: any TestClientProtocol, defaultHeaders: HTTPFields = [:]) {
        self.client = client
        self.defaultHeaders = defaultHeaders
    }

    // MARK: requests

    /// `GET path`, cookies sent and stored. Redirects are not followed.
    @discardableResult
    public func get(_ path: String, headers: HTTPFields = [:]) async throws -> TestPage {
        try await request(path, method: .get, headers: headers, body: nil)
    }

    /// `POST path` with `fields` form-encoded, exactly as given: no CSRF token
    /// is added (use ``submit(_:from:action:)`` for that).
    @discardableResult
    public func post(_ path: String, fields: KeyValuePairs<String, String> = [:], headers: HTTPFields = [:]) async throws -> TestPage {
        try await post(path, body: Self.encode(fields.map { ($0.key, $0.value) }), headers: headers)
    }

    /// `POST path` with a raw urlencoded body.
    @discardableResult
    public func post(_ path: String, body: String, headers: HTTPFields = [:]) async throws -> TestPage {
        var headers = headers
        if headers[.contentType] == nil { headers[.contentType] = "application/x-www-form-urlencoded" }
        return try await request(path, method: .post, headers: headers, body: ByteBuffer(string: body))
    }

    /// Opens `page`, fills the form posting to `action` — its hidden fields
    /// (CSRF token, `next`) as the page rendered them, then `fields` — and
    /// submits it, as a person clicking the button would.
    @discardableResult
    public func submit(_ fields: KeyValuePairs<String, String>, from page: String, action: String) async throws -> TestPage {
        let form = try await get(page)
        guard let token = form.csrfToken(forFormWithAction: action) else {
            throw TestBrowserError.formNotFound(page: page, action: action, status: form.status.code)
        }
        var values: [(String, String)] = [("csrf_token", token)]
        if let next = form.inputValue("next", inFormWithAction: action), !fields.contains(where: { $0.key == "next" }) {
            values.append(("next", next))
        }
        values += fields.map { ($0.key, $0.value) }
        return try await post(action, body: Self.encode(values))
    }

    /// Follows `page`'s redirect with a GET, as a browser does after a POST.
    public func follow(_ page: TestPage) async throws -> TestPage {
        guard page.isRedirect, let location = page.location else { return page }
        return try await get(location)
    }

    // MARK: account flows

    /// Signs up through the signup form. The answer is the form's response
    /// (a redirect to the dashboard when it worked).
    @discardableResult
    public func signUp(email: String, password: String, confirmation: String? = nil) async throws -> TestPage {
        try await submit(
            ["email": email, "password": password, "password_confirmation": confirmation ?? password], from: "/signup", action: "/signup")
    }

    /// Logs in through the login form (opened at `/login`, or
    /// `/login?next=…` when `next` is given).
    @discardableResult
    public func logIn(email: String, password: String, rememberMe: Bool = false, next: String? = nil) async throws -> TestPage {
        let page = next.map { "/login?next=" + Self.percentEncode($0) } ?? "/login"
        var fields: KeyValuePairs<String, String> = ["email": email, "password": password]
        if rememberMe { fields = ["email": email, "password": password, "remember_me": "1"] }
        return try await submit(fields, from: page, action: "/login")
    }

    /// Logs out with the navbar's Logout button on `page`.
    @discardableResult
    public func logOut(from page: String = "/dashboard") async throws -> TestPage {
        try await submit([:], from: page, action: "/logout")
    }

    /// Signs in as `user` without the form: a session made directly through
    /// `authentication`, its cookie put in this browser.
    public func logIn(as user: User, using authentication: Authentication, rememberMe: Bool = false) async throws {
        let token = try await authentication.startSession(for: user, rememberMe: rememberMe)
        jar.set(authentication.cookies.sessionName, token.cookieValue)
    }

    // MARK: cookies

    /// The value this browser holds for cookie `name`.
    public func cookie(_ name: String) -> String? { jar.values[name] }

    /// Sets (or with `nil`, removes) a cookie by hand, as an attacker or a
    /// stale browser might.
    public func setCookie(_ name: String, _ value: String?) { jar.set(name, value) }

    // MARK: plumbing

    private func request(_ path: String, method: HTTPRequest.Method, headers: HTTPFields, body: ByteBuffer?) async throws -> TestPage {
        var fields = defaultHeaders
        for field in headers { fields[field.name] = field.value }
        if let cookie = jar.header { fields[.cookie] = cookie }
        let response = try await client.executeRequest(uri: path, method: method, headers: fields, body: body)
        let page = TestPage(response)
        jar.store(page.setCookies)
        return page
    }

    /// `application/x-www-form-urlencoded`, every reserved byte escaped.
    public static func encode(_ fields: [(String, String)]) -> String {
        fields.map { percentEncode($0.0) + "=" + percentEncode($0.1) }.joined(separator: "&")
    }

    public static func percentEncode(_ text: String) -> String {
        var output = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                output.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                output += "%" + (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: true)
            }
        }
        return output
    }
}

public enum TestBrowserError: Error, CustomStringConvertible {
    case formNotFound(page: String, action: String, status: Int)

    public var description: String {
        switch self {
        case .formNotFound(let page, let action, let status): "no form posting to \(action) on \(page) (status \(status))"
        }
    }
}
