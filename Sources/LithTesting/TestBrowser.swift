import HTTPTypes
import Hummingbird
import HummingbirdTesting
@_spi(Testing) import Lith
import NIOCore

/// A browser for tests of apps built on Lith: it keeps cookies, reads the CSRF
/// token from the form it submits, sends `Origin` and `Sec-Fetch-Site` as a
/// browser does, and offers the account flows as one call each — the
/// counterpart of Django's `client.login()`. Works over any of Hummingbird's
/// test clients (`.router`, `.live`), for Lith's app or any app built on Lith
/// (``Forms`` says where its forms are).
public actor TestBrowser {
    private let client: any TestClientProtocol
    private var jar = CookieJar()
    /// Headers sent with every request, e.g. a `User-Agent`.
    private let defaultHeaders: HTTPFields
    /// Where the account forms are and what their fields are called.
    public let forms: Forms
    /// The site's origin, sent as `Origin` with every POST (Hummingbird's
    /// test clients address the app as `localhost`).
    public let origin: String

    /// The paths and field names of an app's account forms; the defaults
    /// are Lith's own app's.
    public struct Forms: Sendable {
        public var signupPath = "/signup"
        public var loginPath = "/login"
        public var logoutPath = "/logout"
        /// The page whose navbar carries the logout button.
        public var logoutPage = "/dashboard"
        public var emailField = "email"
        public var passwordField = "password"
        public var confirmationField = "password_confirmation"
        public var rememberMeField = "remember_me"
        public var csrfField = Authentication.csrfFieldName

        public init() {}
    }

    public init(_ client: any TestClientProtocol, forms: Forms = Forms(), origin: String = "http://localhost", defaultHeaders: HTTPFields = [:]) {
        self.client = client
        self.forms = forms
        self.origin = origin
        self.defaultHeaders = defaultHeaders
    }

    // MARK: requests

    /// `GET path`, cookies sent and stored. Redirects are not followed.
    @discardableResult
    public func get(_ path: String, headers: HTTPFields = [:]) async throws -> TestPage {
        try await request(path, method: .get, headers: headers, body: nil)
    }

    /// Any request, cookies sent and stored; a body is sent as given.
    @discardableResult
    public func send(_ method: HTTPRequest.Method, _ path: String, headers: HTTPFields = [:], body: String? = nil) async throws -> TestPage {
        try await request(path, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) })
    }

    /// `POST path` with `fields` form-encoded, exactly as given: no CSRF token
    /// is added (use ``submit(_:from:action:)`` for that).
    @discardableResult
    public func post(_ path: String, fields: KeyValuePairs<String, String> = [:], headers: HTTPFields = [:]) async throws -> TestPage {
        try await post(path, body: Self.encode(fields.map { ($0.key, $0.value) }), headers: headers)
    }

    /// `POST path` with a raw urlencoded body, sent as a browser sends a
    /// form: with `Origin` and `Sec-Fetch-Site: same-origin`, unless
    /// `headers` says otherwise.
    @discardableResult
    public func post(_ path: String, body: String, headers: HTTPFields = [:]) async throws -> TestPage {
        var headers = headers
        if headers[.contentType] == nil { headers[.contentType] = "application/x-www-form-urlencoded" }
        if headers[.origin] == nil { headers[.origin] = origin }
        if headers[Self.secFetchSite] == nil { headers[Self.secFetchSite] = "same-origin" }
        return try await request(path, method: .post, headers: headers, body: ByteBuffer(string: body))
    }

    static let secFetchSite = HTTPField.Name("Sec-Fetch-Site")!

    /// Opens `page`, fills the form posting to `action` — its hidden fields
    /// (CSRF token, `next`) as the page rendered them, then `fields` — and
    /// submits it, as a person clicking the button would.
    @discardableResult
    public func submit(_ fields: KeyValuePairs<String, String>, from page: String, action: String) async throws -> TestPage {
        let form = try await get(page)
        guard let token = form.inputValue(forms.csrfField, inFormWithAction: action) else {
            throw TestBrowserError.formNotFound(page: page, action: action, status: form.status.code)
        }
        var values: [(String, String)] = [(forms.csrfField, token)]
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
            fields([(forms.emailField, email), (forms.passwordField, password), (forms.confirmationField, confirmation ?? password)]),
            from: forms.signupPath,
            action: forms.signupPath
        )
    }

    /// Logs in through the login form (opened at the login path, or with
    /// `?next=…` when `next` is given).
    @discardableResult
    public func logIn(email: String, password: String, rememberMe: Bool = false, next: String? = nil) async throws -> TestPage {
        let page = next.map { forms.loginPath + "?next=" + Self.percentEncode($0) } ?? forms.loginPath
        var values = [(forms.emailField, email), (forms.passwordField, password)]
        if rememberMe { values.append((forms.rememberMeField, "1")) }
        return try await submit(fields(values), from: page, action: forms.loginPath)
    }

    /// Logs out with the navbar's Logout button on `page` (the forms' logout page by default).
    @discardableResult
    public func logOut(from page: String? = nil) async throws -> TestPage {
        try await submit([:], from: page ?? forms.logoutPage, action: forms.logoutPath)
    }

    private func fields(_ values: [(String, String)]) -> KeyValuePairs<String, String> {
        // KeyValuePairs has no initializer from an array: build it by arity.
        switch values.count {
        case 2: [values[0].0: values[0].1, values[1].0: values[1].1]
        default: [values[0].0: values[0].1, values[1].0: values[1].1, values[2].0: values[2].1]
        }
    }

    /// Signs in as `user` without the form: a session made directly through
    /// `authentication`, its cookie put in this browser.
    public func logIn(as user: User, using authentication: Authentication, rememberMe: Bool = false) async throws {
        let (token, _) = try await authentication.startSession(for: user, rememberMe: rememberMe)
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
