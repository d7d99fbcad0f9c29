@_spi(Testing) import Lith
import Testing

/// The exact `Set-Cookie` lines Lith writes, attribute by attribute.
@Suite("Set-Cookie lines")
struct SetCookieTests {
    @Test func aBrowserSessionCookieHasNoLifetimeAndEveryGuard() {
        let line = CookieSettings().cookie("lith_csrf", value: "abc").headerValue
        #expect(line == "lith_csrf=abc; Path=/; HttpOnly; SameSite=Lax")
    }

    @Test func aLastingCookieSaysHowLongInSeconds() {
        let line = CookieSettings().cookie("lith_session", value: "abc", maxAge: 2_592_000).headerValue
        #expect(line == "lith_session=abc; Max-Age=2592000; Path=/; HttpOnly; SameSite=Lax")
    }

    @Test func anExpiredCookieIsEmptyWithAPastExpiryBothWays() {
        let line = CookieSettings().expired("lith_flash").headerValue
        #expect(line == "lith_flash=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/; HttpOnly; SameSite=Lax")
    }

    @Test func secureSettingsAddSecureAndTheHostPrefix() {
        let settings = CookieSettings(secure: true)
        #expect(settings.cookie(settings.sessionName, value: "abc").headerValue == "__Host-lith_session=abc; Path=/; Secure; HttpOnly; SameSite=Lax")
        #expect(settings.expired(settings.csrfName).headerValue.hasSuffix("; Path=/; Secure; HttpOnly; SameSite=Lax"))
    }
}
