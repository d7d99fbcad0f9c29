#!/usr/bin/env python3
"""Browser test: `lith serve` on a temporary SQLite file, used through a real
(headless) Chromium driven by Selenium, the way a person uses it: typing into
fields, clicking buttons, opening a second tab, reading what the page shows.

Usually run through scripts/browser-test.sh, which installs Chromium,
chromedriver and Selenium if they are missing; directly:

    python3 scripts/browser-test.py [--lith .build/debug/lith]

Every check prints PASS or FAIL with a reason; the last line is
`N passed, M failed`, and the exit status is non-zero if any check failed. Each
check gets a fresh server (a fresh database) and a fresh browser profile, and
is bounded in time (CHECK_TIMEOUT, 30 s, more for some).
On a failure, a screenshot and the page source of every open tab are saved in a
kept directory, whose path is printed.

What each check proves:
 1. The round trip: signing up lands on the dashboard signed in; Logout lands
    on /login with "You have been logged out.", which is gone after a reload
    (shown once); a guest opening /dashboard?from=check-1 is sent to log in
    and, after logging in, lands back on exactly that page (the query proves
    `next` was followed, since /dashboard is also the default landing page).
 2. "Log in to continue to that page." shows only when there is a page to
    continue to: not on a plain /login, not on /login right after Logout, but
    on /login?next=/dashboard reached by opening /dashboard as a guest.
 3a. A stale login form: /login open in tab A, sign up in tab B, then submit
    tab A's form: the browser ends on /dashboard signed in, not on a
    "Request refused" page.
 3b. Two tabs on the dashboard; Logout in tab A, then Logout in tab B (its
    form's token is stale): tab B ends on /login, not on a 403 page.
 4a. Signup with a mismatched confirmation: after the reload the focus is on
    #password_confirmation, the title starts with "Error:", a role="alert"
    element is shown, and the field has aria-invalid="true" and an
    aria-describedby naming a shown element that holds the error text.
 4b. Signup with a malformed email: the same, on #email.
 4c. The password field's aria-describedby includes password-hint ("At least
    8 characters.") on the plain signup page and on a page with a password error.
 4d. Login with a wrong password: a role="alert" element says "Invalid email
    or password", and the browser is still a guest on /login.
 5a. Phone, 390×844 (mobile emulation, so the viewport meta tag counts), signed
    in with a long email: the page is laid out 390 px wide, the navbar is one
    row (≤ 72 px high), the email in `.who` is on one line and truncated with
    an ellipsis, the Logout button is on screen, and there is no horizontal
    scrollbar.
 5b. Desktop, 1280×800: the navbar is one row, `.who` on one line, and the
    email in the dashboard heading is on one line (its box no taller than
    1.6 × its line height).
 6. Contrast (WCAG 1.4.11, ≥ 3:1), from computed styles: the email field's
    border against the card and the field's own fill; the remember-me
    checkbox's focus outline, reached with the Tab key, against the card and
    white (it must also be drawn: outline-style not none, width > 0).
 7. A server run with --session-idle 10s: the dashboard says "after 10
    seconds without activity", not "1 minute".
 8. The stylesheet works under the Content-Security-Policy the browser
    received: on /login, /signup and /dashboard the `.card` has a border radius,
    no CSP violation is reported (by `securitypolicyviolation` events and the
    browser's console log), and a deliberately blocked probe (an image from
    another origin) is reported, which proves the detector isn't blind.
 Checks 9-13 use two or three browsers at once (separate cookie jars, B
 often at phone size), all signed in as one user; "B's next click" is B
 clicking the navbar's account link on the page it still shows, which must
 land on /login with `next` set.
 9. Password change: A and B log in through the login form; A opens the
    account page by the navbar link and changes the password: A lands on
    /account with "Your password has been changed.", has a new session
    cookie and is still signed in (the dashboard after a reload); B's next
    click lands on /login; the old password no longer logs in (an "Invalid
    email or password" alert), the new one does.
 10. Sessions: A's account page lists two sessions, one marked "This device"
    (without a Sign out button), the other's session_id 32 hex digits and not
    B's token; "Sign out" on B's row leaves one session and B's next click
    lands on /login. Then with B and C signed in again (three sessions), "Sign
    out everywhere else" says "You have been signed out everywhere else.",
    leaves one session, B's and C's next clicks land on /login, and A is still
    signed in.
 11. Deleting the account with the current password lands on /login with
    "Your account has been deleted."; logging in again with the same
    credentials says "Invalid email or password"; B's next click lands on
    /login.
 12a. The account page on a phone, 390×844 (mobile emulation), long email,
    B signed in after a wrong password: laid out 390 px wide, no horizontal
    scrollbar, the navbar one row with `.who` on one line and Logout on
    screen, every shown input with a shown, non-empty <label for>, the
    session rows' Sign out buttons and "Sign out everywhere else" on screen;
    the page lists two sessions and "Account created", "Failed sign-in" and
    "Signed in" (with BROWSER_SCREENSHOTS this is the account page saved at
    both sizes with two sessions and three activity rows).
 12b. The same at 1280×800.
 12c. Keyboard: from the top of a freshly loaded account page, Tab reaches
    #current_password, #password, #password_confirmation and the "Change
    password" button in that order, each with a focus outline drawn
    (outline-style not none, width > 0). After a wrong current password the
    page is the same as 4a demands of signup: focus on #current_password,
    "Error:" title, a role="alert", aria-invalid="true", and aria-describedby
    naming the shown "not your current password" error.
 13. The login throttle: two accounts signed up in A; five wrong passwords
    for one say "Invalid email or password"; the sixth says (role="alert")
    "Too many attempts for this account. Try again in 30 seconds." with the
    email still in the field, and the right password on the seventh is
    refused the same way ("Try again in N seconds.", N ≤ 30; both 429 with
    Retry-After, from the performance log), not signed in; browser B (the same
    address) logs in to the other account.
 14. Signup refuses "password1" ("This password is too common. Try a phrase
    of a few words.") and a password containing the email's name part ("This
    password is too close to your email address. …"), each as 4a demands
    (focus, title, alert, aria-invalid, aria-describedby naming the error);
    the same email with a good password then signs up.
 Checks 15-17c run the server with --mail-outbox (a temporary folder per
 check) and read the mail there (.eml, quoted-printable decoded).
 15. Forgot password, as a person does it: A signs up and stays signed in;
    B opens /login, clicks "Forgot your password?", types the email and
    presses "Send me a link": a role="status" says "If an account exists for
    that address, we've sent a link. It works for one hour."; within 10 s a
    mail "Reset your Lith password" is in the outbox, its text and HTML parts
    carrying the same link at http://localhost:PORT. B opens it: the browser
    ends on /password/reset, and neither the URL nor the tab's history keeps
    the token; B types a new password twice and presses "Set new password":
    /login with "Your password has been reset. Log in with your new
    password."; the new password logs B in (the dashboard); A's reload of
    /dashboard lands on /login; a mail "Your Lith password was changed"
    follows; the used link opened again says "This link has expired or has
    already been used. …"; B's console shows no errors along the way (but
    for the browser's own request for /favicon.ico, which Lith answers 404).
 16a. The reset pages on a phone, 390×844 (mobile emulation): /password/forgot,
    its sent state, /password/reset (plain, and after a too-common password)
    and the page of a made-up link (410) are laid out 390 px wide with no
    horizontal scrollbar, the card, the form and its fields inside the
    viewport (fields at least half the form wide, each with a shown <label
    for>), the sent/error message on screen without scrolling, not cut off,
    at ≥ 4.5:1 contrast, and the focus on #email (forgot, sent, expired) or
    #password (new password). With BROWSER_SCREENSHOTS, each of these pages
    is saved at both sizes.
 16b. The same at 1280×800.
 Checks 17a-17c browse at http://localhost:PORT, the origin of the mail's
 links (without --public-url), so a browser following a link keeps its cookies.
 17a. --email-verification required, end to end: signing up answers "Check
    your inbox" with no session (/dashboard then leads to /login) and mails
    "Confirm your Lith address"; signing up again with that address answers
    the same page and mails its owner "Your Lith account" (no link); before
    confirming, a wrong password says "Invalid email or password" only, the
    right one answers 403 with the role="alert" "Please confirm your email
    address first: …" and a shown "Send a new confirmation link" button;
    pressing it says "If that address has an account waiting to be confirmed,
    …" and mails a new link, which makes the first one dead ("This
    confirmation link has expired or has already been used. …"); the new
    link lands on /login with "Your email address is confirmed.", and then
    the password logs in (the dashboard says Hello).
 17b. The default (optional) mode: after signing up the dashboard shows the
    banner "Please confirm your email address: open the link we mailed to
    EMAIL" with "Send a new link" and "Not now"; "Send a new link" says so
    and mails a new link; the account page says "Address confirmed: Not
    yet…" with a "Send a new link" button; "Not now" hides the banner, also
    after a reload, by a browser-session cookie (no expiry; without it the
    banner is back); the replaced first link is refused, the banner stays;
    the new link lands on /dashboard with "Your email address is
    confirmed." and no banner (also after a reload); the account page then
    shows a confirmation date; the used link again is refused.
 17c. Changing the email address on the account page: a wrong current
    password is an accessible error as 4a demands (on
    #email_change_password), the typed address kept; with the right one,
    /account says "Check your inbox: we sent a link to the new address. …"
    and the address is unchanged; the new address gets "Confirm your new
    Lith address" with the link, the old one "Your Lith address is being
    changed" naming the new address, without a link; the link opens "Confirm
    your new address" naming it, with a "Use this address" button, and
    changes nothing (the navbar keeps the old address; opened a second time,
    as a mail scanner might, the page is the same); the button lands on
    /account with "Your email address has been changed.", the new address
    in the facts and the navbar, confirmed (a date); after Logout the old
    address says "Invalid email or password", the new one logs in; the used
    link again is refused.
 17d. Layout at 390×844 (mobile emulation) and 1280×800, long email: the
    "Check your inbox" card (required mode), the dashboard's banner
    (optional mode: above the card, its text ≥ 4.5:1), the account page's
    first card (Not yet + "Send a new link") and its change-email card: no
    horizontal scrolling, nothing in them beyond the viewport's sides, no
    text wider than its box, fields at least half their form wide with a
    shown <label for>. With BROWSER_SCREENSHOTS each of these is also saved
    as an element screenshot at both sizes (17d-verify-layout-*.png).

Environment: LITH_BIN (the binary, default .build/debug/lith),
BROWSER_ONLY=15,16 (run only the checks numbered so: `16` is 16a and 16b,
`12c` only 12c; the default is every check),
BROWSER_PIDFILE (every process started here is appended to it, a process group
as a negative number, so a wrapper can clean up even if this script is
killed), BROWSER_KEEP_DIR=1 (keep the temp dir with the servers' and
chromedriver's logs), BROWSER_SCREENSHOTS=DIR (save failure screenshots there,
and also a screenshot of every page visited at both 390×844 and 1280×800,
named by check), CHROMIUM and CHROMEDRIVER (the binaries; found on PATH).
"""

import glob
import json
import os
import re
import secrets
import shutil
import signal
import sys
import tempfile
import time
import traceback
from contextlib import contextmanager
from email import message_from_bytes
from html import unescape as html_unescape
from urllib.parse import parse_qs, urlsplit

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # blackbox.py, even under python3 -P
import blackbox  # noqa: E402
from blackbox import LithServer, Run, argument_parser, info, lith_binary, read_bytes, signal_group, tail  # noqa: E402

try:
    from selenium import webdriver
    from selenium.common.exceptions import TimeoutException, WebDriverException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError:
    print("browser test: Selenium is missing (pip install selenium, or run scripts/browser-test.sh)", file=sys.stderr)
    sys.exit(2)

SCRYPT = "ln=10,r=8,p=1"
PASSWORD = "browser test password 1"
LONG_EMAIL = "a.very.long.name.for.testing@subdomain.example-company.com"
PHONE = (390, 844, True)  # width, height, mobile emulation
DESKTOP = (1280, 800, False)
CHECK_TIMEOUT = 30  # seconds, for one check, browser start and server start included
WAIT = 10  # seconds for a page to load after a click
FOCUS_WAIT = 3  # seconds for autofocus to land after a load
NAVBAR_MAX_HEIGHT = 72
ONE_LINE = 1.6  # a box at most this many line heights tall holds one line
MIN_CONTRAST = 3.0
CSP_LOG_RE = re.compile(r"Content[- ]Security[- ]Policy|Refused to", re.IGNORECASE)


# MARK: servers


class Server(LithServer):
    """`lith serve` on its own SQLite file; a server that doesn't come up is a failed step."""

    def __init__(self, suite, name, extra=()):
        super().__init__(suite, name, SCRYPT, extra)

    def start(self, timeout=30):
        """Starts it and waits for `Lith is serving`; raises StepFailed if it doesn't come up."""
        up, why = super().start(timeout)
        if not up:
            raise StepFailed(f"server {why}")
        return self

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"


# MARK: the browser


class StepFailed(Exception):
    """A check can't go on: the app (or the set-up) did something else than a
    person would need; the message says what."""


class CheckTimeout(BaseException):
    """The check's time is up (a BaseException, so no library swallows it)."""


@contextmanager
def time_limit(seconds):
    """Raises CheckTimeout in this (the main) thread after `seconds`."""
    def on_alarm(signum, frame):
        raise CheckTimeout()

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# Installed in every tab before any page script: the CSP violations the page
# reports, kept for check 8 (a script added over DevTools isn't subject to the CSP).
CSP_LISTENER_JS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', e => {
  window.__cspViolations.push(e.effectiveDirective + ' blocked ' + (e.blockedURI || 'inline') + ' on ' + e.documentURI);
});
"""


class Browser:
    """One headless Chromium with its own profile, driven through chromedriver."""

    def __init__(self, suite, slug, performance_log=False):
        self.suite = suite
        self.slug = slug
        self.visits = 0
        self.viewport = None  # (width, height, mobile) while emulating one
        profile = tempfile.mkdtemp(prefix=f"profile-{slug}-", dir=suite.dir)
        options = webdriver.ChromeOptions()
        options.binary_location = suite.chromium
        for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", f"--user-data-dir={profile}",
                         "--window-size=1280,800", "--force-device-scale-factor=1", "--no-first-run",
                         "--no-default-browser-check", "--disable-crash-reporter", "--disable-background-networking"):
            options.add_argument(argument)
        # No password manager or leak-check bubble between the test and the page.
        options.add_experimental_option("prefs", {"credentials_enable_service": False,
                                                  "profile.password_manager_enabled": False,
                                                  "profile.password_manager_leak_detection": False})
        logs = {"browser": "ALL"}
        if performance_log:
            logs["performance"] = "ALL"
        options.set_capability("goog:loggingPrefs", logs)
        service = Service(executable_path=suite.chromedriver, log_output=os.path.join(suite.dir, f"chromedriver-{slug}.log"),
                          popen_kw={"start_new_session": True, "preexec_fn": suite.processes.group_hook()})
        self.service = service
        try:
            self.driver = webdriver.Chrome(options=options, service=service)
        except BaseException:
            if service.process is not None:
                suite.processes.stop_group(service.process.pid)
            raise
        suite.processes.adopt_group(service.process.pid)
        self.driver.set_page_load_timeout(WAIT)
        self.driver.set_script_timeout(5)
        self.instrument_tab()

    def instrument_tab(self):
        self.driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": CSP_LISTENER_JS})

    def new_tab(self):
        self.driver.switch_to.new_window("tab")
        self.instrument_tab()
        return self.driver.current_window_handle

    def set_viewport(self, size):
        """Emulates a screen of `size` = (width, height, mobile); None: the window as it is."""
        if size is None:
            self.driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
        else:
            width, height, mobile = size
            self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile})
        self.viewport = size

    def visited(self):
        """Called after every page load: with BROWSER_SCREENSHOTS, a screenshot at both sizes."""
        self.visits += 1
        directory = self.suite.screenshots
        if not directory:
            return
        label = page_label(self.driver.current_url)
        if len(self.driver.window_handles) > 1:
            label = f"tab{self.driver.window_handles.index(self.driver.current_window_handle) + 1}-{label}"
        kept = self.viewport
        for size in (PHONE, DESKTOP):
            self.set_viewport(size)
            self.driver.save_screenshot(os.path.join(directory, f"{self.slug}-{self.visits:02d}-{label}-{size[0]}x{size[1]}.png"))
        self.set_viewport(kept)

    def save_failure(self, directory):
        """A screenshot and the source of every open tab; returns the files written."""
        written = []
        for index, handle in enumerate(self.driver.window_handles, 1):
            self.driver.switch_to.window(handle)
            base = os.path.join(directory, f"{self.slug}-FAILED-tab{index}")
            if self.driver.save_screenshot(base + ".png"):
                written.append(base + ".png")
            with open(base + ".html", "w") as f:
                f.write(f"<!-- {self.driver.current_url} -->\n{self.driver.page_source}")
            written.append(base + ".html")
        return written

    def console(self):
        """The browser's console messages since the last call ([] if the driver can't tell)."""
        try:
            return self.driver.get_log("browser")
        except WebDriverException:
            return []

    def quit(self):
        try:
            with time_limit(10):
                self.driver.quit()
        except (CheckTimeout, Exception):  # noqa: BLE001 - the group is stopped below either way
            pass
        # Chromium takes a second or two to wind down: hurry it, don't wait
        # (the group is stopped for good, and waited for, at the end).
        if self.service.process is not None:
            signal_group(self.service.process.pid, signal.SIGTERM)


def page_label(url):
    parts = urlsplit(url)
    return re.sub(r"[^a-z0-9]+", "-", parts.path.lower()).strip("-") or "root"


# MARK: what a person does


def wait_loaded(browser):
    WebDriverWait(browser.driver, WAIT, ignored_exceptions=(WebDriverException,)).until(
        lambda d: d.execute_script("return document.readyState") == "complete")


def open_page(browser, server, path):
    """Types the address and waits for the page."""
    browser.driver.get(server.url(path))
    wait_loaded(browser)
    browser.visited()


def reload_page(browser):
    browser.driver.refresh()
    wait_loaded(browser)
    browser.visited()


def find(browser, css, what=None):
    elements = browser.driver.find_elements(By.CSS_SELECTOR, css)
    if not elements:
        raise StepFailed(f"{what or css} not found {describe(browser)}")
    return elements[0]


def button(browser, text, within=""):
    """The button labelled `text` (inside `within`, an XPath prefix)."""
    found = browser.driver.find_elements(By.XPATH, f"{within}//button[normalize-space()='{text}']")
    if not found:
        raise StepFailed(f"no '{text}' button {describe(browser)}")
    return found[0]


def type_into(browser, css, text):
    """Clicks into the field, empties it and types `text`."""
    field = find(browser, css)
    field.click()
    field.clear()
    field.send_keys(text)


def press(browser, element, what):
    """Clicks `element` and waits for the page it leads to."""
    marker = secrets.token_hex(8)
    browser.driver.execute_script("window.__lithTestPage = arguments[0]", marker)
    element.click()
    # A new document has no marker. (Not staleness_of: while a page is being
    # replaced, chromedriver can answer "Node with given id does not belong to
    # the document" instead of "stale element", which staleness_of lets through.)
    try:
        WebDriverWait(browser.driver, WAIT, ignored_exceptions=(WebDriverException,)).until(
            lambda d: d.execute_script("return window.__lithTestPage") != marker)
    except TimeoutException:
        raise StepFailed(f"pressing {what} loaded no new page within {WAIT} s {describe(browser)}") from None
    wait_loaded(browser)
    browser.visited()


def fill_signup(browser, server, email, password=PASSWORD, confirmation=None):
    open_page(browser, server, "/signup")
    type_into(browser, "#email", email)
    type_into(browser, "#password", password)
    type_into(browser, "#password_confirmation", password if confirmation is None else confirmation)
    press(browser, button(browser, "Create account"), "'Create account'")


def sign_up(browser, server, email, password=PASSWORD):
    """Signs up and requires the dashboard, signed in as `email`."""
    fill_signup(browser, server, email, password)
    state = page_state(browser)
    require(state["path"] == "/dashboard" and state["who"] == email,
            f"signing up as {email} did not land on the dashboard signed in: {describe(browser, state)}")


def log_in(browser, email, password):
    """On a login page: types the credentials and presses 'Log in'."""
    type_into(browser, "#email", email)
    type_into(browser, "#password", password)
    press(browser, button(browser, "Log in", within="//form[@action='/login']"), "'Log in'")


def log_out(browser):
    press(browser, button(browser, "Logout", within="//header[contains(@class,'navbar')]"), "'Logout'")


def require(condition, message):
    if not condition:
        raise StepFailed(message)


def unique_email(prefix):
    return f"{prefix}.{secrets.token_hex(4)}@example.com"


# MARK: what the page shows


STATE_JS = """
const q = s => document.querySelector(s);
const text = el => el ? el.textContent.replace(/\\s+/g, ' ').trim() : null;
const shown = el => el.getClientRects().length > 0;
return {
  path: location.pathname + location.search,
  title: document.title,
  h1: text(q('h1')),
  who: text(q('header.navbar .who')),
  email: text(q('h1 .email')),
  flash: text(q('.flash')),
  alerts: [...document.querySelectorAll('[role=alert]')].filter(shown).map(text),
  body: document.body ? document.body.innerText : '',
};
"""


def page_state(browser):
    return browser.driver.execute_script(STATE_JS)


def describe(browser, state=None):
    """Where the browser is, for a reason: `on /login (title '…', heading '…')`."""
    try:
        state = state or page_state(browser)
    except WebDriverException as error:
        return f"(page unreadable: {error.msg})"
    return f"on {state['path']} (title {state['title']!r}, heading {state['h1']!r})"


def path_and_next(browser):
    parts = urlsplit(browser.driver.current_url)
    return parts.path, parse_qs(parts.query).get("next", [None])[0]


def refused(state):
    return "Request refused" in (state["title"] or "") or "Request refused" in (state["h1"] or "")


FIELD_JS = """
const el = document.getElementById(arguments[0]);
if (!el) return null;
const ids = (el.getAttribute('aria-describedby') || '').split(/\\s+/).filter(Boolean);
const active = document.activeElement;
return {
  active: active ? (active.id ? '#' + active.id : active.tagName.toLowerCase()) : null,
  invalid: el.getAttribute('aria-invalid'),
  describedby: ids,
  described: ids.map(id => {
    const d = document.getElementById(id);
    return d ? {id: id, text: d.textContent.trim(), shown: d.getClientRects().length > 0} : {id: id, text: null, shown: false};
  }),
};
"""


def field_state(browser, field_id):
    state = browser.driver.execute_script(FIELD_JS, field_id)
    require(state is not None, f"no #{field_id} field {describe(browser)}")
    return state


def wait_for_focus(browser, field_id):
    """Autofocus lands on the first rendering after the load: poll briefly."""
    deadline = time.monotonic() + FOCUS_WAIT
    while True:
        active = field_state(browser, field_id)["active"]
        if active == f"#{field_id}" or time.monotonic() > deadline:
            return active
        time.sleep(0.1)


# MARK: colours (WCAG 2.2, relative luminance and contrast ratio)


COLOUR_RE = re.compile(r"rgba?\(\s*([\d.]+)[,\s]+([\d.]+)[,\s]+([\d.]+)(?:\s*[,/]\s*([\d.]+%?))?\s*\)")
WHITE = (255.0, 255.0, 255.0, 1.0)


def parse_colour(text):
    """`rgb(…)`/`rgba(…)` as a computed style gives it, as (r, g, b, alpha)."""
    match = COLOUR_RE.fullmatch(text.strip())
    if not match:
        raise StepFailed(f"can't read the colour {text!r}")
    r, g, b, alpha = match.groups()
    if alpha is None:
        a = 1.0
    elif alpha.endswith("%"):
        a = float(alpha[:-1]) / 100
    else:
        a = float(alpha)
    return float(r), float(g), float(b), a


def over(top, bottom):
    """`top` painted over the opaque `bottom` (alpha compositing)."""
    a = top[3]
    return tuple(top[i] * a + bottom[i] * (1 - a) for i in range(3)) + (1.0,)


def relative_luminance(colour):
    def linear(channel):
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in colour[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a, b):
    la, lb = relative_luminance(a), relative_luminance(b)
    return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)


def hex_colour(colour):
    return "#" + "".join(f"{round(c):02x}" for c in colour[:3])


BACKDROP_JS = """
// The background colours from arguments[0] up to <html>, innermost first.
const colours = [];
for (let el = arguments[0]; el; el = el.parentElement) colours.push(getComputedStyle(el).backgroundColor);
return colours;
"""


def backdrop(browser, element):
    """The opaque colour painted behind and at `element` (its own background
    included), compositing every ancestor's background over a white canvas."""
    colour = WHITE
    for layer in reversed(browser.driver.execute_script(BACKDROP_JS, element)):
        colour = over(parse_colour(layer), colour)
    return colour


# MARK: the checks


def check_round_trip(ctx):
    server, browser = ctx.server(), ctx.browser()
    email = unique_email("round-trip")
    ctx.step = "signing up"
    sign_up(browser, server, email)

    ctx.step = "logging out"
    log_out(browser)
    after_logout = page_state(browser)
    require(after_logout["path"] == "/login" and after_logout["flash"] == "You have been logged out.",
            f"after Logout: expected /login saying 'You have been logged out.', got flash {after_logout['flash']!r} "
            + describe(browser, after_logout))
    reload_page(browser)
    reloaded = page_state(browser)
    require("You have been logged out." not in reloaded["body"],
            f"'You have been logged out.' still shown after reloading the login page {describe(browser, reloaded)}")

    ctx.step = "opening the dashboard as a guest"
    asked_for = "/dashboard?from=check-1"
    open_page(browser, server, asked_for)
    path, next_ = path_and_next(browser)
    require(path == "/login" and next_ == asked_for,
            f"a guest opening {asked_for} was not sent to /login with next={asked_for}: {describe(browser)}")
    ctx.step = "logging in again"
    log_in(browser, email, PASSWORD)
    back = page_state(browser)
    ok = back["path"] == asked_for and back["who"] == email
    return ok, (f"signed up → /dashboard as {email}; Logout → /login with 'You have been logged out.', gone after a "
                f"reload; {asked_for} as a guest → /login?next=…; Log in → "
                + (f"{asked_for}, signed in" if ok else f"expected {asked_for} signed in, got who={back['who']!r} "
                   + describe(browser, back)))


HINT = "Log in to continue to that page."


def check_continue_hint(ctx):
    server, browser = ctx.server(), ctx.browser()
    seen = {}
    ctx.step = "opening /login"
    open_page(browser, server, "/login")
    seen["plain /login"] = HINT in page_state(browser)["body"]

    ctx.step = "opening /dashboard as a guest"
    open_page(browser, server, "/dashboard")
    path, next_ = path_and_next(browser)
    require(path == "/login" and next_ == "/dashboard", f"a guest opening /dashboard: {describe(browser)}, next={next_!r}")
    seen["/login?next=/dashboard"] = HINT in page_state(browser)["body"]

    ctx.step = "signing up and logging out"
    sign_up(browser, server, unique_email("hint"))
    log_out(browser)
    after_logout = page_state(browser)
    require(after_logout["path"] == "/login", f"Logout did not lead to /login: {describe(browser, after_logout)}")
    seen["/login after Logout"] = HINT in after_logout["body"]

    expected = {name: name.startswith("/login?next") for name in seen}
    wrong = [name for name in seen if seen[name] != expected[name]]
    return not wrong, "; ".join(f"{name}: {'shows' if shown else 'no'} hint" + (" (wrong)" if name in wrong else "")
                                for name, shown in seen.items())


def check_stale_login_form(ctx):
    server, browser = ctx.server(), ctx.browser()
    email = unique_email("stale-login")
    ctx.step = "opening /login in tab A"
    tab_a = browser.driver.current_window_handle
    open_page(browser, server, "/login")
    ctx.step = "signing up in tab B"
    browser.new_tab()
    sign_up(browser, server, email)
    ctx.step = "submitting tab A's stale login form"
    browser.driver.switch_to.window(tab_a)
    log_in(browser, email, PASSWORD)
    state = page_state(browser)
    ok = state["path"] == "/dashboard" and state["who"] == email and not refused(state)
    return ok, ("tab A's stale login form, submitted after signing up in tab B → "
                + (f"/dashboard signed in as {email}" if ok else f"{describe(browser, state)}, signed in as {state['who']!r}"))


def check_two_tab_logout(ctx):
    server, browser = ctx.server(), ctx.browser()
    email = unique_email("two-tabs")
    ctx.step = "signing up in tab A"
    tab_a = browser.driver.current_window_handle
    sign_up(browser, server, email)
    ctx.step = "opening the dashboard in tab B"
    tab_b = browser.new_tab()
    open_page(browser, server, "/dashboard")
    require(page_state(browser)["who"] == email, f"tab B is not signed in: {describe(browser)}")
    ctx.step = "Logout in tab A"
    browser.driver.switch_to.window(tab_a)
    log_out(browser)
    first = page_state(browser)
    require(first["path"] == "/login", f"Logout in tab A: {describe(browser, first)}")
    ctx.step = "Logout in tab B"
    browser.driver.switch_to.window(tab_b)
    log_out(browser)
    second = page_state(browser)
    ok = second["path"] == "/login" and second["h1"] == "Log in" and not refused(second) and not second["who"]
    return ok, f"Logout in tab A → /login; then Logout in tab B (stale) → {describe(browser, second)}"


def field_error_problems(browser, field_id, topic):
    """What is missing from an accessible error on `field_id`, after a failed
    submit: focus, title, alert, aria-invalid, aria-describedby. Returns
    (problems, summary)."""
    active = wait_for_focus(browser, field_id)
    field = field_state(browser, field_id)
    state = page_state(browser)
    problems = []
    if active != f"#{field_id}":
        problems.append(f"focus on {active}, not #{field_id}")
    if not state["title"].startswith("Error:"):
        problems.append(f"title {state['title']!r} doesn't start with 'Error:'")
    if not any(state["alerts"]):
        problems.append("no shown role=alert element")
    if field["invalid"] != "true":
        problems.append(f"aria-invalid={field['invalid']!r}")
    described = [d for d in field["described"] if d["text"] and d["shown"] and topic in d["text"].lower()]
    if not described:
        problems.append(f"aria-describedby={field['describedby']} names no shown element about {topic!r} "
                        f"({field['described']})")
    summary = (f"focus {active}, title {state['title']!r}, alert {state['alerts']}, aria-invalid={field['invalid']!r}, "
               f"described by {[d['id'] + ': ' + repr(d['text']) for d in field['described']]}")
    return problems, summary


def check_confirmation_error(ctx):
    server, browser = ctx.server(), ctx.browser()
    ctx.step = "submitting signup with a different confirmation"
    fill_signup(browser, server, unique_email("mismatch"), PASSWORD, "a different password 2")
    require(urlsplit(browser.driver.current_url).path == "/signup", f"the mismatched signup was accepted: {describe(browser)}")
    problems, summary = field_error_problems(browser, "password_confirmation", "match")
    return not problems, ("; ".join(problems) + " — " if problems else "") + summary


def check_email_error(ctx):
    server, browser = ctx.server(), ctx.browser()
    ctx.step = "submitting signup with a malformed email"
    fill_signup(browser, server, "not-an-email")
    require(urlsplit(browser.driver.current_url).path == "/signup", f"the malformed email was accepted: {describe(browser)}")
    problems, summary = field_error_problems(browser, "email", "email")
    return not problems, ("; ".join(problems) + " — " if problems else "") + summary


def hint_problem(browser, where):
    field = field_state(browser, "password")
    hint = [d for d in field["described"] if d["id"] == "password-hint"]
    if not hint:
        return f"{where}: password aria-describedby={field['describedby']} lacks password-hint"
    if hint[0]["text"] != "At least 8 characters.":
        return f"{where}: #password-hint says {hint[0]['text']!r}"
    return None


def check_password_hint(ctx):
    server, browser = ctx.server(), ctx.browser()
    ctx.step = "opening /signup"
    open_page(browser, server, "/signup")
    plain = hint_problem(browser, "plain /signup")
    plain_ids = field_state(browser, "password")["describedby"]
    ctx.step = "submitting signup with a short password"
    fill_signup(browser, server, unique_email("short"), "short1")
    require(urlsplit(browser.driver.current_url).path == "/signup", f"a 6-character password was accepted: {describe(browser)}")
    errored = hint_problem(browser, "after a password error")
    errored_ids = field_state(browser, "password")["describedby"]
    problems = [p for p in (plain, errored) if p]
    return not problems, ("; ".join(problems) + " — " if problems else "") + (
        f"password aria-describedby: plain /signup {plain_ids}, after a too-short password {errored_ids}")


def check_wrong_password(ctx):
    server, browser = ctx.server(), ctx.browser()
    email = unique_email("wrong-password")
    ctx.step = "signing up and logging out"
    sign_up(browser, server, email)
    log_out(browser)
    ctx.step = "logging in with a wrong password"
    log_in(browser, email, "not the password 1")
    state = page_state(browser)
    said = [a for a in state["alerts"] if "Invalid email or password" in a]
    ok = bool(said) and state["path"].startswith("/login") and not state["who"]
    return ok, (f"role=alert elements {state['alerts']}; " + describe(browser, state)
                + ("" if not state["who"] else f"; signed in as {state['who']!r}!"))


LAYOUT_JS = """
const box = el => { const r = el.getBoundingClientRect(); return {top: r.top, bottom: r.bottom, left: r.left, right: r.right, width: r.width, height: r.height}; };
const lineHeight = el => { const s = getComputedStyle(el); const lh = parseFloat(s.lineHeight); return isNaN(lh) ? 1.2 * parseFloat(s.fontSize) : lh; };
const q = s => document.querySelector(s);
const nav = q('header.navbar'), who = q('header.navbar .who'), email = q('h1 .email');
const logout = [...document.querySelectorAll('header.navbar button')].find(b => b.textContent.trim() === 'Logout');
// The width a text needs on one line, in the element's own font.
const natural = el => { const c = document.createElement('canvas').getContext('2d'); c.font = getComputedStyle(el).font; return c.measureText(el.textContent.trim()).width; };
return {
  innerWidth: window.innerWidth,
  scrollWidth: document.documentElement.scrollWidth,
  navbar: nav && box(nav),
  who: who && Object.assign(box(who), {lineHeight: lineHeight(who), scrollWidth: who.scrollWidth, clientWidth: who.clientWidth,
                                       textOverflow: getComputedStyle(who).textOverflow, text: who.textContent.trim()}),
  email: email && Object.assign(box(email), {lineHeight: lineHeight(email), text: email.textContent.trim(), natural: natural(email),
                                             room: email.parentElement.clientWidth}),
  logout: logout && box(logout),
};
"""


def used_fonts(browser, css):
    """The fonts Chromium actually drew `css` with (for the reason: wrapping depends on them)."""
    try:
        root = browser.driver.execute_cdp_cmd("DOM.getDocument", {})["root"]["nodeId"]
        node = browser.driver.execute_cdp_cmd("DOM.querySelector", {"nodeId": root, "selector": css})["nodeId"]
        browser.driver.execute_cdp_cmd("CSS.enable", {})
        fonts = browser.driver.execute_cdp_cmd("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
        return ", ".join(f["familyName"] for f in fonts) or "?"
    except WebDriverException:
        return "?"


def layout_problems(layout, phone):
    problems = []
    nav, who, email, logout = layout["navbar"], layout["who"], layout["email"], layout["logout"]
    if not (nav and who and email and logout):
        return ["navbar, .who, the heading's .email or the Logout button is missing"]
    if nav["height"] > NAVBAR_MAX_HEIGHT:
        problems.append(f"navbar {nav['height']:.0f} px high (> {NAVBAR_MAX_HEIGHT}: not one row)")
    if who["height"] > ONE_LINE * who["lineHeight"]:
        problems.append(f".who wraps: {who['height']:.0f} px high, line height {who['lineHeight']:.0f} px")
    if layout["scrollWidth"] > layout["innerWidth"]:
        problems.append(f"horizontal scrolling: page {layout['scrollWidth']} px wide in a {layout['innerWidth']} px viewport")
    if logout["right"] > layout["innerWidth"] + 0.5:
        problems.append(f"the Logout button ends at x={logout['right']:.0f}, off screen")
    if phone:
        truncated = who["scrollWidth"] > who["clientWidth"] and who["textOverflow"] == "ellipsis"
        if not truncated:
            problems.append(f".who not truncated with an ellipsis (text {who['scrollWidth']} px in {who['clientWidth']} px, "
                            f"text-overflow {who['textOverflow']})")
    elif email["height"] > ONE_LINE * email["lineHeight"]:
        problems.append(f"the heading's email is on more than one line: {email['height']:.0f} px high, "
                        f"line height {email['lineHeight']:.0f} px; it needs {email['natural']:.0f} px on one line, "
                        f"the heading is {email['room']} px wide")
    return problems


def check_layout(ctx, size):
    width, height, phone = size
    server, browser = ctx.server(), ctx.browser()
    browser.set_viewport(size)
    ctx.step = "signing up with a long email"
    sign_up(browser, server, LONG_EMAIL)
    layout = browser.driver.execute_script(LAYOUT_JS)
    problems = layout_problems(layout, phone)
    if layout["innerWidth"] != width:
        problems.insert(0, f"laid out {layout['innerWidth']} px wide, not {width} "
                        + ("(content wider than the screen: the phone zoomed out)" if layout["innerWidth"] > width
                           else "(viewport meta tag?)"))
    nav, who, email = layout["navbar"] or {}, layout["who"] or {}, layout["email"] or {}
    measured = (f"viewport {layout['innerWidth']} px, page {layout['scrollWidth']} px wide; navbar {nav.get('height', 0):.0f} px "
                f"high; .who {who.get('clientWidth')}/{who.get('scrollWidth')} px shown/text, {who.get('height', 0):.0f} px "
                f"high; heading email {email.get('width', 0):.0f}×{email.get('height', 0):.0f} px "
                f"(line {email.get('lineHeight', 0):.0f} px, font {used_fonts(browser, 'h1 .email')})")
    return not problems, ("; ".join(problems) + " — " if problems else "") + measured


def check_contrast(ctx):
    server, browser = ctx.server(), ctx.browser()
    ctx.step = "opening /login"
    open_page(browser, server, "/login")
    driver = browser.driver
    email_field = find(browser, "#email", "the email field")
    card = find(browser, ".card", "the card")
    card_colour = backdrop(browser, card)
    fill = backdrop(browser, email_field)
    borders = [parse_colour(driver.execute_script(f"return getComputedStyle(arguments[0]).border{side}Color", email_field))
               for side in ("Top", "Right", "Bottom", "Left")]
    border_ratio = min(min(contrast(over(b, card_colour), card_colour), contrast(over(b, fill), fill)) for b in borders)

    ctx.step = "tabbing to the remember-me checkbox"
    find(browser, "#password", "the password field").click()
    ActionChains(driver).send_keys(Keys.TAB).perform()
    checkbox = find(browser, "input[name=remember_me]", "the remember-me checkbox")
    focused = driver.execute_script("return document.activeElement === arguments[0]", checkbox)
    require(focused, "Tab from the password field did not focus the remember-me checkbox (focus on "
            + driver.execute_script("const a = document.activeElement; return a.outerHTML.slice(0, 80)") + ")")
    style = driver.execute_script("const s = getComputedStyle(arguments[0]); return [s.outlineColor, s.outlineStyle, s.outlineWidth]",
                                  checkbox)
    outline = parse_colour(style[0])
    behind = backdrop(browser, checkbox.find_element(By.XPATH, "./.."))
    drawn = style[1] not in ("none", "hidden") and float(style[2].rstrip("px") or 0) > 0
    outline_ratio = min(contrast(over(outline, behind), behind), contrast(over(outline, WHITE), WHITE))

    problems = []
    if border_ratio < MIN_CONTRAST:
        problems.append(f"email field border {border_ratio:.2f}:1, below {MIN_CONTRAST:g}:1")
    if not drawn:
        problems.append(f"no focus outline drawn on the checkbox (outline-style {style[1]}, width {style[2]})")
    if outline_ratio < MIN_CONTRAST:
        problems.append(f"focus outline {outline_ratio:.2f}:1, below {MIN_CONTRAST:g}:1")
    return not problems, (("; ".join(problems) + " — " if problems else "")
                          + f"email field border {'/'.join(sorted({hex_colour(b) for b in borders}))} on card "
                          f"{hex_colour(card_colour)} and fill {hex_colour(fill)}: {border_ratio:.2f}:1; checkbox focus "
                          f"outline {style[2]} {style[1]} {hex_colour(outline)} on {hex_colour(behind)} and white: "
                          f"{outline_ratio:.2f}:1")


def check_session_idle_text(ctx):
    server, browser = ctx.server(extra=["--session-idle", "10s"]), ctx.browser()
    ctx.step = "signing up"
    sign_up(browser, server, unique_email("idle"))
    body = page_state(browser)["body"]
    said = re.search(r"after [^\n]*? without activity", body)
    ok = "after 10 seconds without activity" in body and "1 minute" not in body
    if not said:
        return False, f"no 'after … without activity' on the dashboard {describe(browser)}"
    return ok, f"with --session-idle 10s the dashboard says {said.group(0)!r}"


CARD_RADIUS_JS = "const c = document.querySelector('.card'); return c ? getComputedStyle(c).borderTopLeftRadius : null;"
PROBE_JS = """
// A probe the policy must block (default-src 'self': an image from another origin).
const img = new Image(); img.src = 'http://localhost:9/csp-probe.png'; document.body.appendChild(img);
"""


def document_csp(browser, server):
    """The Content-Security-Policy header of each of the server's documents
    loaded so far, as the browser received it (from the performance log)."""
    policies = []
    for entry in browser.driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") != "Network.responseReceived" or message["params"].get("type") != "Document":
            continue
        response = message["params"]["response"]
        if not response["url"].startswith(server.url("/")):
            continue  # the browser's own pages (its new-tab page has a policy of its own)
        headers = {k.lower(): v for k, v in response.get("headers", {}).items()}
        policies.append((urlsplit(response["url"]).path, headers.get("content-security-policy")))
    return policies


def csp_on_page(browser):
    """This page's border radius and the CSP violations it reported so far."""
    radius = browser.driver.execute_script(CARD_RADIUS_JS)
    events = browser.driver.execute_script("return window.__cspViolations || null")
    console = [e["message"] for e in browser.console() if CSP_LOG_RE.search(e["message"])]
    return radius, events, console


def check_csp(ctx):
    server, browser = ctx.server(), ctx.browser(performance_log=True)
    seen, violations, problems = [], [], []
    for path in ("/login", "/signup"):
        ctx.step = f"opening {path}"
        open_page(browser, server, path)
        seen.append((path, *csp_on_page(browser)))
    ctx.step = "signing up"
    sign_up(browser, server, unique_email("csp"))
    seen.append(("/dashboard", *csp_on_page(browser)))
    for path, radius, events, console in seen:
        if events is None:
            problems.append(f"{path}: the violation listener is missing")
        # The events say it shortly; the console (a second witness) at length.
        violations += [f"{path}: {v}" for v in events or []] or [f"{path}: {line[:160]}" for line in console]
        if radius in (None, "0px"):
            problems.append(f"{path}: .card border radius {radius!r} (stylesheet not applied)")
    policies = document_csp(browser, server)
    missing = [path for path, policy in policies if not policy]
    if not policies or missing:
        problems.append(f"no Content-Security-Policy on {missing or 'any document'}")
    if violations:
        problems.append(f"CSP violations: {violations}")

    ctx.step = "probing the violation detector"
    browser.driver.execute_script(PROBE_JS)
    time.sleep(0.5)
    probe_events = browser.driver.execute_script("return window.__cspViolations")
    probe_console = [e["message"] for e in browser.console() if CSP_LOG_RE.search(e["message"])]
    if not probe_events and not probe_console:
        problems.append("a blocked cross-origin image probe was not reported: the detector is blind")
    radii = ", ".join(f"{path} {radius}" for path, radius, _, _ in seen)
    policy = policies[0][1] if policies else None
    return not problems, ("; ".join(problems) + " — " if problems else "") + (
        f".card border radius {radii}; {len(violations)} violations; the probe was "
        f"{'reported' if probe_events or probe_console else 'NOT reported'}; policy {policy!r}")


# MARK: the account page (checks 9-14)


NEW_PASSWORD = "a fresh browser test phrase 2"
WRONG_PASSWORD = "not the password 1"
INVALID_LOGIN = "Invalid email or password"
TOO_COMMON = "This password is too common. Try a phrase of a few words."
CONTAINS_EMAIL = "This password is too close to your email address."
THROTTLED_RE = re.compile(r"Too many attempts for this account\. Try again in (\d+) seconds?\.")


def sign_in(browser, server, email, password=PASSWORD):
    """Opens /login, logs in and requires the dashboard, signed in as `email`."""
    open_page(browser, server, "/login")
    log_in(browser, email, password)
    state = page_state(browser)
    require(state["path"] == "/dashboard" and state["who"] == email,
            f"logging in as {email} did not land on the dashboard signed in: {describe(browser, state)}")


def open_account(browser):
    """Clicks the navbar's account link (`a.who`) and requires the account page."""
    press(browser, find(browser, "header.navbar a.who", "the navbar's account link"), "the navbar's account link")
    path, _ = path_and_next(browser)
    require(path == "/account", f"the navbar's account link did not lead to /account: {describe(browser)}")


def signed_out_on_next_click(browser, what):
    """`browser` still shows a page signed in; it clicks the navbar's account
    link. Returns None if that lands on /login with `next` set (signed out),
    else what happened instead."""
    press(browser, find(browser, "header.navbar a.who", f"{what}'s account link"), f"{what}'s account link")
    path, next_ = path_and_next(browser)
    state = page_state(browser)
    if path == "/login" and next_ and not state["who"]:
        return None
    return f"{what}'s next click (the account link) → {describe(browser, state)}, next={next_!r}, signed in as {state['who']!r}"


def session_cookie(browser):
    """The value of this browser's session cookie (`lith_session`, maybe prefixed), or None."""
    for cookie in browser.driver.get_cookies():
        if cookie["name"].endswith("lith_session"):
            return cookie["value"]
    return None


ACCOUNT_JS = """
const text = el => el ? el.textContent.replace(/\\s+/g, ' ').trim() : null;
// A section of the account page by the words of its heading.
const section = words => [...document.querySelectorAll('section')].find(s => {
  const h = s.querySelector('h2'); return h && h.textContent.toLowerCase().includes(words);
});
const rows = s => s ? [...s.querySelectorAll('ul.rows > li.row')] : null;
const sessions = rows(section('signed in')), activity = rows(section('activity'));
return {
  sessions: sessions && sessions.map(li => {
    const signOut = [...li.querySelectorAll('button')].find(b => text(b) === 'Sign out');
    const id = li.querySelector('input[name=session_id]');
    return {browser: text(li.querySelector('strong')), badge: text(li.querySelector('.badge')),
            details: text(li.querySelector('.muted')), sessionId: id ? id.value : null,
            signOut: signOut ? signOut.getAttribute('aria-label') || 'Sign out' : null};
  }),
  activity: activity && activity.map(li => text(li.querySelector('strong'))),
  revokeOthers: !!document.querySelector('form[action="/account/sessions/revoke-others"]'),
};
"""


def account_state(browser):
    """The account page's session rows and activity; requires both lists."""
    account = browser.driver.execute_script(ACCOUNT_JS)
    require(account["sessions"] is not None, f"no list of sessions under a 'Where you are signed in' heading {describe(browser)}")
    return account


def this_device(account):
    return [row for row in account["sessions"] if row["badge"] == "This device"]


def sessions_text(account):
    return "[" + ", ".join(f"{row['browser']}{' (This device)' if row['badge'] == 'This device' else ''}"
                           f"{'' if row['signOut'] is None else ' + Sign out'}" for row in account["sessions"]) + "]"


def other_row_button(browser):
    """The 'Sign out' button of the one session row not marked 'This device'."""
    found = browser.driver.find_elements(
        By.XPATH, "//li[contains(concat(' ', normalize-space(@class), ' '), ' row ')]"
                  "[not(.//*[contains(concat(' ', normalize-space(@class), ' '), ' badge ')])]"
                  "//button[normalize-space()='Sign out']")
    require(len(found) == 1, f"{len(found)} 'Sign out' buttons on rows not marked 'This device', expected 1 {describe(browser)}")
    return found[0]


def check_password_change(ctx):
    server = ctx.server()
    a, b = ctx.browser("a"), ctx.browser("b")
    b.set_viewport(PHONE)
    email = unique_email("change")
    ctx.step = "signing up in A and logging out"
    sign_up(a, server, email)
    log_out(a)
    ctx.step = "logging in in A and in B"
    sign_in(a, server, email)
    sign_in(b, server, email)
    ctx.step = "A opening the account page"
    open_account(a)
    cookie_before = session_cookie(a)
    ctx.step = "A changing the password"
    type_into(a, "#current_password", PASSWORD)
    type_into(a, "#password", NEW_PASSWORD)
    type_into(a, "#password_confirmation", NEW_PASSWORD)
    press(a, button(a, "Change password"), "'Change password'")
    changed = page_state(a)
    require(changed["path"] == "/account" and changed["flash"] == "Your password has been changed." and changed["who"] == email,
            f"after 'Change password': expected /account saying 'Your password has been changed.' signed in as {email}, got "
            f"flash {changed['flash']!r}, signed in as {changed['who']!r}, alerts {changed['alerts']} {describe(a, changed)}")
    problems = []
    if session_cookie(a) in (None, cookie_before):
        problems.append("A kept its old session cookie (expected a new one after the change)")
    ctx.step = "A reloading the dashboard"
    open_page(a, server, "/dashboard")
    still = page_state(a)
    if still["path"] != "/dashboard" or still["who"] != email:
        problems.append(f"A is no longer signed in: /dashboard → {describe(a, still)}")

    ctx.step = "B's next click"
    b_out = signed_out_on_next_click(b, "B")
    if b_out:
        problems.append(b_out)
    ctx.step = "B logging in with the old password"
    if urlsplit(b.driver.current_url).path != "/login":
        open_page(b, server, "/login")
    log_in(b, email, PASSWORD)
    old = page_state(b)
    old_ok = any(INVALID_LOGIN in alert for alert in old["alerts"]) and not old["who"]
    if not old_ok:
        problems.append(f"the old password: alerts {old['alerts']}, signed in as {old['who']!r} {describe(b, old)}")
    ctx.step = "B logging in with the new password"
    log_in(b, email, NEW_PASSWORD)
    new = page_state(b)
    if new["who"] != email:
        problems.append(f"the new password did not log in: alerts {new['alerts']} {describe(b, new)}")
    return not problems, ("; ".join(problems) + " — " if problems else "") + (
        f"A changed the password on /account → 'Your password has been changed.', "
        f"{'new session cookie' if session_cookie(a) != cookie_before else 'same session cookie'}, /dashboard as "
        f"{still['who']!r}; B's next click → {'/login?next=…' if not b_out else 'NOT /login'}; old password → "
        f"{old['alerts']}; new password → {new['path']} as {new['who']!r}")


def check_session_revoke(ctx):
    server = ctx.server()
    a, b = ctx.browser("a"), ctx.browser("b")
    b.set_viewport(PHONE)
    email = unique_email("revoke")
    ctx.step = "signing up in A, logging in in B"
    sign_up(a, server, email)
    sign_in(b, server, email)
    ctx.step = "A opening the account page"
    open_account(a)
    before = account_state(a)
    require(len(before["sessions"]) == 2 and len(this_device(before)) == 1,
            f"A's account page lists {sessions_text(before)}: expected two sessions, one marked 'This device'")
    problems = []
    other = [row for row in before["sessions"] if row["badge"] != "This device"][0]
    if not re.fullmatch(r"[0-9a-f]{32}", other["sessionId"] or ""):
        problems.append(f"B's row's session_id {other['sessionId']!r} is not 32 hex digits")
    if other["sessionId"] and other["sessionId"] in (session_cookie(b) or ""):
        problems.append("B's row's session_id is B's session token")
    if this_device(before)[0]["signOut"] is not None:
        problems.append("the 'This device' row has a Sign out button")
    ctx.step = "A signing out B's session"
    press(a, other_row_button(a), "'Sign out' on B's row")
    after = account_state(a)
    if urlsplit(a.driver.current_url).path != "/account" or len(after["sessions"]) != 1 or len(this_device(after)) != 1:
        problems.append(f"after 'Sign out' on B's row A is {describe(a)} listing {sessions_text(after)} (expected /account, "
                        "one session, This device)")
    ctx.step = "B's next click"
    b_out = signed_out_on_next_click(b, "B")
    if b_out:
        problems.append(b_out)

    ctx.step = "B and C logging in"
    sign_in(b, server, email)
    c = ctx.browser("c")
    sign_in(c, server, email)
    ctx.step = "A reloading the account page"
    reload_page(a)
    three = account_state(a)
    require(len(three["sessions"]) == 3 and three["revokeOthers"],
            f"with B and C signed in again, A's account page lists {sessions_text(three)}, 'Sign out everywhere else' "
            f"{'shown' if three['revokeOthers'] else 'missing'}: expected three sessions and the button")
    ctx.step = "A pressing 'Sign out everywhere else'"
    press(a, button(a, "Sign out everywhere else"), "'Sign out everywhere else'")
    alone = page_state(a)
    left = account_state(a)
    if (alone["path"] != "/account" or alone["flash"] != "You have been signed out everywhere else."
            or len(left["sessions"]) != 1 or len(this_device(left)) != 1):
        problems.append(f"after 'Sign out everywhere else' A is {describe(a, alone)}, flash {alone['flash']!r}, listing "
                        f"{sessions_text(left)}")
    ctx.step = "B's and C's next clicks"
    for browser, what in ((b, "B"), (c, "C")):
        out = signed_out_on_next_click(browser, what)
        if out:
            problems.append(out)
    ctx.step = "A reloading the dashboard"
    open_page(a, server, "/dashboard")
    stays = page_state(a)
    if stays["who"] != email:
        problems.append(f"A was signed out too: /dashboard → {describe(a, stays)}")
    return not problems, ("; ".join(problems) + " — " if problems else "") + (
        f"A's account page: {sessions_text(before)}; 'Sign out' on B's row → {sessions_text(after)}, B's next click → "
        f"/login?next=…; with B and C back: {sessions_text(three)}; 'Sign out everywhere else' → {alone['flash']!r}, "
        f"{sessions_text(left)}, B and C → /login?next=…, A still signed in")


def check_account_delete(ctx):
    server = ctx.server()
    a, b = ctx.browser("a"), ctx.browser("b")
    email = unique_email("delete")
    ctx.step = "signing up in A, logging in in B"
    sign_up(a, server, email)
    sign_in(b, server, email)
    ctx.step = "A deleting the account"
    open_account(a)
    type_into(a, "#delete_current_password", PASSWORD)
    press(a, button(a, "Delete my account"), "'Delete my account'")
    deleted = page_state(a)
    require(deleted["path"] == "/login" and deleted["flash"] == "Your account has been deleted." and not deleted["who"],
            f"after 'Delete my account': expected /login saying 'Your account has been deleted.', got flash "
            f"{deleted['flash']!r}, alerts {deleted['alerts']}, signed in as {deleted['who']!r} {describe(a, deleted)}")
    problems = []
    ctx.step = "A logging in again"
    log_in(a, email, PASSWORD)
    again = page_state(a)
    if not any(INVALID_LOGIN in alert for alert in again["alerts"]) or again["who"]:
        problems.append(f"logging in again: alerts {again['alerts']}, signed in as {again['who']!r} {describe(a, again)}")
    ctx.step = "B's next click"
    b_out = signed_out_on_next_click(b, "B")
    if b_out:
        problems.append(b_out)
    return not problems, ("; ".join(problems) + " — " if problems else "") + (
        f"'Delete my account' → /login with {deleted['flash']!r}; logging in again → {again['alerts']}; "
        f"B's next click → {'/login?next=…' if not b_out else 'NOT /login'}")


ACCOUNT_LAYOUT_JS = """
const box = el => { const r = el.getBoundingClientRect(); return {top: r.top, bottom: r.bottom, left: r.left, right: r.right, width: r.width, height: r.height}; };
const lineHeight = el => { const s = getComputedStyle(el); const lh = parseFloat(s.lineHeight); return isNaN(lh) ? 1.2 * parseFloat(s.fontSize) : lh; };
const text = el => el ? el.textContent.replace(/\\s+/g, ' ').trim() : null;
const shown = el => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
const q = s => document.querySelector(s);
const nav = q('header.navbar'), who = q('header.navbar .who');
const logout = [...document.querySelectorAll('header.navbar button')].find(b => text(b) === 'Logout');
return {
  innerWidth: window.innerWidth,
  scrollWidth: document.documentElement.scrollWidth,
  navbar: nav && box(nav),
  who: who && Object.assign(box(who), {lineHeight: lineHeight(who)}),
  logout: logout && box(logout),
  inputs: [...document.querySelectorAll('input, select, textarea')].filter(i => i.type !== 'hidden' && shown(i)).map(i => {
    const label = i.id ? document.querySelector('label[for="' + CSS.escape(i.id) + '"]') : null;
    const b = label && box(label);
    return {field: i.id ? '#' + i.id : i.name, label: label ? text(label) : null,
            labelShown: !!label && shown(label) && b.width > 1 && b.height > 1 && b.right > 0 && b.left < window.innerWidth};
  }),
  sessionButtons: [...document.querySelectorAll('form[action^="/account/sessions/"] button')].filter(shown)
    .map(b => Object.assign(box(b), {text: b.getAttribute('aria-label') || text(b)})),
};
"""


def account_layout_problems(layout, width):
    problems = []
    nav, who, logout = layout["navbar"], layout["who"], layout["logout"]
    if not (nav and who and logout):
        return ["the navbar, its .who link or its Logout button is missing"]
    if layout["innerWidth"] != width:
        problems.append(f"laid out {layout['innerWidth']} px wide, not {width} (viewport meta tag?)")
    if layout["scrollWidth"] > layout["innerWidth"]:
        problems.append(f"horizontal scrolling: page {layout['scrollWidth']} px wide in a {layout['innerWidth']} px viewport")
    if nav["height"] > NAVBAR_MAX_HEIGHT:
        problems.append(f"navbar {nav['height']:.0f} px high (> {NAVBAR_MAX_HEIGHT}: not one row)")
    if who["height"] > ONE_LINE * who["lineHeight"]:
        problems.append(f".who wraps: {who['height']:.0f} px high, line height {who['lineHeight']:.0f} px")
    if logout["right"] > layout["innerWidth"] + 0.5:
        problems.append(f"the Logout button ends at x={logout['right']:.0f}, off screen")
    unlabelled = [i["field"] for i in layout["inputs"] if not i["label"] or not i["labelShown"]]
    if unlabelled:
        problems.append(f"no shown <label for> on {unlabelled}")
    off = [f"{b['text']!r} at x={b['left']:.0f}-{b['right']:.0f}" for b in layout["sessionButtons"]
           if b["left"] < -0.5 or b["right"] > layout["innerWidth"] + 0.5]
    if off:
        problems.append(f"session buttons off screen: {off}")
    return problems


def check_account_layout(ctx, size):
    width, height, _ = size
    server = ctx.server()
    a, b = ctx.browser("a"), ctx.browser("b")
    a.set_viewport(size)
    ctx.step = "signing up in A with a long email"
    sign_up(a, server, LONG_EMAIL)
    ctx.step = "B: a wrong password, then logging in"
    open_page(b, server, "/login")
    log_in(b, LONG_EMAIL, WRONG_PASSWORD)
    log_in(b, LONG_EMAIL, PASSWORD)
    require(page_state(b)["who"] == LONG_EMAIL, f"B did not log in: {describe(b)}")
    ctx.step = "A opening the account page"
    open_account(a)  # with BROWSER_SCREENSHOTS: two sessions and three activity rows, at both sizes
    account = account_state(a)
    layout = a.driver.execute_script(ACCOUNT_LAYOUT_JS)
    problems = account_layout_problems(layout, width)
    if len(account["sessions"]) != 2 or len(layout["sessionButtons"]) != 2:
        problems.append(f"expected two sessions with 'Sign out' and 'Sign out everywhere else', got {sessions_text(account)} "
                        f"and buttons {[b['text'] for b in layout['sessionButtons']]}")
    missing = [what for what in ("Account created", "Failed sign-in", "Signed in") if what not in (account["activity"] or [])]
    if missing:
        problems.append(f"the activity lacks {missing}: {account['activity']}")
    nav = layout["navbar"] or {}
    return not problems, ("; ".join(problems) + " — " if problems else "") + (
        f"viewport {layout['innerWidth']} px, page {layout['scrollWidth']} px wide; navbar {nav.get('height', 0):.0f} px high; "
        f"labelled fields {[i['field'] + ': ' + repr(i['label']) for i in layout['inputs']]}; session buttons end at x="
        f"{[round(b['right']) for b in layout['sessionButtons']]}; sessions {sessions_text(account)}; activity {account['activity']}")


FOCUSED_JS = """
const a = document.activeElement;
if (!a || a === document.body) return {what: 'body'};
const s = getComputedStyle(a);
const label = a.id ? '#' + a.id : a.tagName.toLowerCase() + " '" + a.textContent.replace(/\\s+/g, ' ').trim().slice(0, 30) + "'";
return {what: label, outlineStyle: s.outlineStyle, outlineWidth: parseFloat(s.outlineWidth) || 0};
"""
TAB_ORDER = ["#current_password", "#password", "#password_confirmation", "button 'Change password'"]
MAX_TABS = 20


def check_account_keyboard(ctx):
    server, browser = ctx.server(), ctx.browser()
    browser.set_viewport(DESKTOP)
    ctx.step = "signing up"
    sign_up(browser, server, unique_email("keyboard"))
    ctx.step = "opening /account"
    open_page(browser, server, "/account")
    ctx.step = "tabbing from the top of the account page"
    start = browser.driver.execute_script(FOCUSED_JS)["what"]
    focused = []
    for _ in range(MAX_TABS):
        ActionChains(browser.driver).send_keys(Keys.TAB).perform()
        focused.append(browser.driver.execute_script(FOCUSED_JS))
        if focused[-1]["what"] == TAB_ORDER[-1]:
            break
    order = [f["what"] for f in focused]
    problems = []
    positions = [order.index(what) if what in order else None for what in TAB_ORDER]
    if None in positions:
        problems.append(f"{MAX_TABS} Tabs from {start} never reached {[w for w, p in zip(TAB_ORDER, positions) if p is None]}")
    elif positions != sorted(positions):
        problems.append("Tab reaches the change-password form out of order")
    undrawn = [f"{f['what']} ({f['outlineStyle']} {f['outlineWidth']:g}px)" for f in focused
               if f["what"] in TAB_ORDER and (f["outlineStyle"] in ("none", "hidden") or f["outlineWidth"] <= 0)]
    if undrawn:
        problems.append(f"no focus outline on {undrawn}")

    ctx.step = "submitting a wrong current password"
    type_into(browser, "#current_password", WRONG_PASSWORD)
    type_into(browser, "#password", NEW_PASSWORD)
    type_into(browser, "#password_confirmation", NEW_PASSWORD)
    press(browser, button(browser, "Change password"), "'Change password'")
    # The form comes back (422) as the answer to its POST, at the POST's URL.
    require(urlsplit(browser.driver.current_url).path in ("/account", "/account/password"),
            f"the wrong current password: {describe(browser)}")
    error_problems, summary = field_error_problems(browser, "current_password", "current password")
    problems += error_problems
    return not problems, ("; ".join(problems) + " — " if problems else "") + (
        f"Tab from {start}: {' → '.join(order)}; after a wrong current password: {summary}")


def last_document(browser, server):
    """(status, Retry-After) of the last document from the server in the
    performance log since the last call, or None."""
    last = None
    for entry in browser.driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") != "Network.responseReceived" or message["params"].get("type") != "Document":
            continue
        response = message["params"]["response"]
        if response["url"].startswith(server.url("/")):
            headers = {k.lower(): v for k, v in response.get("headers", {}).items()}
            last = (response["status"], headers.get("retry-after"))
    return last


def check_login_throttle(ctx):
    server = ctx.server()
    a = ctx.browser("a", performance_log=True)
    target, other = unique_email("throttled"), unique_email("bystander")
    ctx.step = "signing up two accounts in A"
    for email in (target, other):
        sign_up(a, server, email)
        log_out(a)
    problems, answers = [], []
    for attempt in range(1, 8):
        ctx.step = f"login attempt {attempt} in A"
        last_document(a, server)  # drop what came before
        log_in(a, target, WRONG_PASSWORD + str(attempt) if attempt < 7 else PASSWORD)
        state = page_state(a)
        status = last_document(a, server)
        email_value = find(a, "#email", "the email field").get_attribute("value")
        alert = next((text for text in state["alerts"] if text), None)
        answers.append(f"{attempt}: {status[0] if status else '?'} {alert!r}")
        if state["who"] or not state["path"].startswith("/login"):
            problems.append(f"attempt {attempt} signed in: {describe(a, state)} as {state['who']!r}")
            break
        if attempt <= 5:
            if not alert or INVALID_LOGIN not in alert:
                problems.append(f"attempt {attempt} (within the 5 free failures) said {state['alerts']}")
            continue
        throttled = THROTTLED_RE.fullmatch(alert or "")
        wait = int(throttled.group(1)) if throttled else None
        # 30 seconds after the 5th failure, less the second or two a browser takes to send the 6th.
        if attempt == 6 and not re.fullmatch(r"Too many attempts for this account\. Try again in (2[5-9]|30) seconds\.", alert or ""):
            problems.append(f"attempt 6 said {state['alerts']}, not 'Too many attempts for this account. Try again in 25–30 seconds.'")
        if attempt == 7 and not (throttled and 0 < wait <= 30):
            problems.append(f"attempt 7 (the right password) said {state['alerts']}, not 'Too many attempts for this account. "
                            "Try again in N seconds.' with N ≤ 30")
        if email_value != target:
            problems.append(f"after attempt {attempt} the email field holds {email_value!r}")
        if status and (status[0] != 429 or not status[1]):
            problems.append(f"attempt {attempt} answered {status[0]}, Retry-After {status[1]!r} (expected 429 with Retry-After)")

    ctx.step = "another account logging in in B"
    b = ctx.browser("b")
    open_page(b, server, "/login")
    log_in(b, other, PASSWORD)
    bystander = page_state(b)
    if bystander["who"] != other:
        problems.append(f"a different account from the same address: alerts {bystander['alerts']}, "
                        f"signed in as {bystander['who']!r} {describe(b, bystander)}")
    return not problems, ("; ".join(problems) + " — " if problems else "") + (
        f"attempts {'; '.join(answers)}; another account in B → {bystander['path']} as {bystander['who']!r}")


def check_common_password(ctx):
    server, browser = ctx.server(), ctx.browser()
    problems, said = [], []
    local = f"marguerite{secrets.token_hex(3)}"
    email = f"{local}@example.com"
    for password, expected, topic in (("password1", TOO_COMMON, "too common"),
                                      (f"{local} grows sunflowers", CONTAINS_EMAIL, "email address")):
        ctx.step = f"signing up with {password!r}"
        fill_signup(browser, server, email, password)
        if urlsplit(browser.driver.current_url).path != "/signup" or page_state(browser)["who"]:
            problems.append(f"{password!r} was accepted: {describe(browser)}")
            continue
        field_problems, summary = field_error_problems(browser, "password", topic)
        error = [d["text"] for d in field_state(browser, "password")["described"] if d["id"] == "password-error"]
        said.append(f"{password!r}: {error}")
        if not error or not error[0].startswith(expected):
            problems.append(f"{password!r}: #password-error says {error}, not {expected!r}")
        problems += [f"{password!r}: {p}" for p in field_problems]
    ctx.step = "signing up with a good password"
    fill_signup(browser, server, email, PASSWORD)
    accepted = page_state(browser)
    if accepted["who"] != email:
        problems.append(f"{PASSWORD!r} was refused too: alerts {accepted['alerts']} {describe(browser, accepted)}")
    return not problems, ("; ".join(problems) + " — " if problems else "") + (
        f"{'; '.join(said)}; {PASSWORD!r} → {accepted['path']} as {accepted['who']!r}")


# MARK: forgot password (checks 15-16)


SENT = "If an account exists for that address, we've sent a link. It works for one hour."
RESET_DONE = "Your password has been reset. Log in with your new password."
LINK_EXPIRED = "This link has expired or has already been used. Ask for a new one below."
RESET_SUBJECT = "Reset your Lith password"
CHANGED_SUBJECT = "Your Lith password was changed"
MAIL_WAIT = 10  # seconds for a queued mail to appear in the outbox
RESET_LINK_RE = re.compile(r"https?://[^\s\"'<>]+/password/reset/([A-Za-z0-9_-]{43})(?![A-Za-z0-9_-])")
MIN_TEXT_CONTRAST = 4.5  # WCAG 1.4.3, normal text


def mail_server(ctx, extra=()):
    """A server writing its mail to a fresh outbox folder (with `extra`
    flags): (server, outbox)."""
    outbox = tempfile.mkdtemp(prefix=f"{ctx.slug}-outbox-", dir=ctx.suite.dir)
    return ctx.server(extra=["--mail-outbox", outbox, *extra]), outbox


def read_mail(path):
    """One .eml from the outbox: subject, recipients, and each text part
    (text/plain, text/html) decoded from its transfer encoding
    (quoted-printable) and charset."""
    message = message_from_bytes(read_bytes(path))
    parts = {}
    for part in message.walk():
        if part.get_content_maintype() == "text":
            payload = part.get_payload(decode=True) or b""
            parts[part.get_content_type()] = payload.decode(part.get_content_charset() or "utf-8", "replace")
    return {"file": os.path.basename(path), "subject": str(message.get("Subject", "")), "to": str(message.get("To", "")),
            "parts": parts}


def wait_for_mail(outbox, subject, to, seen=(), timeout=MAIL_WAIT):
    """Polls `outbox` for a .eml (not in `seen`) with `subject` addressed to
    `to`; returns it read, or None after `timeout` seconds. A file still being
    written (no text part yet) is read again on the next round."""
    deadline = time.monotonic() + timeout
    while True:
        for path in sorted(glob.glob(os.path.join(outbox, "*.eml"))):
            if os.path.basename(path) in seen:
                continue
            mail = read_mail(path)
            if mail["parts"] and mail["subject"] == subject and to in mail["to"]:
                return mail
        if time.monotonic() > deadline:
            return None
        time.sleep(0.2)


def outbox_listing(outbox):
    names = sorted(os.path.basename(p) for p in glob.glob(os.path.join(outbox, "*")))
    return ", ".join(f"{name} ({read_mail(os.path.join(outbox, name))['subject']!r})" if name.endswith(".eml") else name
                     for name in names) or "nothing"


def reset_link(mail):
    """The reset link of a mail: (link, problems). The text part's link, which
    the HTML part's href must repeat."""
    return link_in_mail(mail, RESET_LINK_RE, "reset")


def link_in_mail(mail, pattern, what):
    """The `what` link (matching `pattern`) of a mail: (link, problems). The
    text part's link, which the HTML part's href must repeat."""
    problems = []
    text_links = pattern.findall(mail["parts"].get("text/plain", ""))
    text_link = pattern.search(mail["parts"].get("text/plain", ""))
    hrefs = [html_unescape(h) for h in re.findall(r'href="([^"]*)"', mail["parts"].get("text/html", ""))]
    html_links = [h for h in hrefs if pattern.fullmatch(h)]
    if not text_link:
        problems.append(f"no {what} link in the mail's text part: {mail['parts'].get('text/plain', '')[:300]!r}")
    elif len(set(text_links)) != 1:
        problems.append(f"the text part has {len(set(text_links))} different {what} links")
    if not html_links:
        problems.append(f"no {what} link among the HTML part's hrefs {hrefs}")
    elif text_link and html_links[0] != text_link.group(0):
        problems.append(f"the HTML part links to {html_links[0]}, the text part to {text_link.group(0)}")
    link = text_link.group(0) if text_link else (html_links[0] if html_links else None)
    return link, problems


def link_on_server(link, server):
    """`link` if it points at `server` (as the contract says without
    --public-url: http://localhost:PORT), else (the same path on the server,
    a problem)."""
    parts = urlsplit(link)
    origin = f"http://localhost:{server.port}"
    if f"{parts.scheme}://{parts.netloc}" == origin:
        return link, None
    return origin + parts.path, (f"the mail's link points at {parts.scheme}://{parts.netloc}, not the server's {origin} "
                                 f"(a person's click would fail; the rest of the check opens the same path at {origin})")


def open_link(browser, url):
    """Opens a link from outside the site (from a mail), as a person clicking it does."""
    browser.driver.get(url)
    wait_loaded(browser)
    browser.visited()


def history_urls(browser):
    """Every URL in this tab's back/forward history (what the history menu keeps)."""
    history = browser.driver.execute_cdp_cmd("Page.getNavigationHistory", {})
    return [entry["url"] for entry in history["entries"]]


def console_errors(browser, where, errors, favicon):
    """Adds this browser's console errors (level SEVERE) since the last call
    to `errors`, as `where: message`; the failed /favicon.ico the browser
    itself asks for (no page does: Lith has none) to `favicon` instead."""
    for entry in browser.console():
        if entry.get("level") == "SEVERE":
            (favicon if "/favicon.ico " in entry["message"] else errors).append(f"{where}: {entry['message'][:200]}")


def check_password_reset(ctx):
    server, outbox = mail_server(ctx)
    a, b = ctx.browser("a"), ctx.browser("b")
    email = unique_email("forgot")
    ctx.step = "signing up in A"
    sign_up(a, server, email)

    problems, console, favicon = [], [], []
    ctx.step = "B opening /login"
    open_page(b, server, "/login")
    console_errors(b, "/login", console, favicon)
    ctx.step = "B clicking 'Forgot your password?'"
    forgot_link = b.driver.find_elements(By.XPATH, "//main//a[normalize-space()='Forgot your password?']")
    require(forgot_link, f"no 'Forgot your password?' link {describe(b)}")
    press(b, forgot_link[0], "'Forgot your password?'")
    require(urlsplit(b.driver.current_url).path == "/password/forgot",
            f"'Forgot your password?' did not lead to /password/forgot: {describe(b)}")
    console_errors(b, "/password/forgot", console, favicon)
    ctx.step = "B asking for a link"
    type_into(b, "#email", email)
    press(b, button(b, "Send me a link"), "'Send me a link'")
    sent = page_state(b)
    status = b.driver.execute_script(
        "return [...document.querySelectorAll('[role=status]')].filter(e => e.getClientRects().length)"
        ".map(e => e.textContent.replace(/\\s+/g, ' ').trim())")
    require(SENT in status, f"after 'Send me a link': expected a shown role=status saying {SENT!r}, got {status}, "
            f"alerts {sent['alerts']} {describe(b, sent)}")
    console_errors(b, "the sent page", console, favicon)

    ctx.step = "waiting for the reset mail"
    started = time.monotonic()
    mail = wait_for_mail(outbox, RESET_SUBJECT, email)
    require(mail, f"no mail {RESET_SUBJECT!r} to {email} in the outbox within {MAIL_WAIT} s (it holds: {outbox_listing(outbox)}; "
            f"server log: {tail(server.stderr_path, 3)})")
    waited = time.monotonic() - started
    link, link_problems = reset_link(mail)
    require(link, "; ".join(link_problems))
    problems += link_problems
    link, origin_problem = link_on_server(link, server)
    if origin_problem:
        problems.append(origin_problem)
    token = RESET_LINK_RE.search(link).group(1)

    ctx.step = "B opening the link"
    open_link(b, link)
    landed = b.driver.current_url
    history = history_urls(b)
    if urlsplit(landed).path != "/password/reset" or token in landed:
        problems.append(f"opening the link ended on {landed}, not /password/reset without the token")
    kept = [url for url in history if token in url]
    if kept:
        problems.append(f"the tab's history kept the token: {kept}")
    reset_page = page_state(b)
    require(urlsplit(landed).path == "/password/reset" and b.driver.find_elements(By.CSS_SELECTOR, "#password_confirmation"),
            f"the link did not open the new-password form: {describe(b, reset_page)}, alerts {reset_page['alerts']}")
    console_errors(b, "/password/reset", console, favicon)
    ctx.step = "B choosing a new password"
    type_into(b, "#password", NEW_PASSWORD)
    type_into(b, "#password_confirmation", NEW_PASSWORD)
    press(b, button(b, "Set new password"), "'Set new password'")
    done = page_state(b)
    require(done["path"] == "/login" and done["flash"] == RESET_DONE and not done["who"],
            f"after 'Set new password': expected /login saying {RESET_DONE!r}, got flash {done['flash']!r}, alerts "
            f"{done['alerts']}, signed in as {done['who']!r} {describe(b, done)}")
    console_errors(b, "/login after the reset", console, favicon)
    ctx.step = "B logging in with the new password"
    log_in(b, email, NEW_PASSWORD)
    new = page_state(b)
    if new["path"] != "/dashboard" or new["who"] != email:
        problems.append(f"the new password did not log in: alerts {new['alerts']} {describe(b, new)}, signed in as {new['who']!r}")
    console_errors(b, "/dashboard", console, favicon)

    ctx.step = "A reloading the dashboard"
    open_page(a, server, "/dashboard")
    a_path, a_next = path_and_next(a)
    a_state = page_state(a)
    if a_path != "/login" or a_state["who"]:
        problems.append(f"A was not signed out by the reset: /dashboard → {describe(a, a_state)}, signed in as {a_state['who']!r}")

    ctx.step = "waiting for the 'password changed' mail"
    changed = wait_for_mail(outbox, CHANGED_SUBJECT, email, seen={mail["file"]})
    if not changed:
        problems.append(f"no mail {CHANGED_SUBJECT!r} to {email} within {MAIL_WAIT} s of the reset (outbox: {outbox_listing(outbox)})")
    ctx.step = "B opening the used link again"
    open_link(b, link)
    again = page_state(b)
    if LINK_EXPIRED not in again["alerts"]:
        problems.append(f"the used link opened again: alerts {again['alerts']} {describe(b, again)} (expected {LINK_EXPIRED!r})")
    if console:
        problems.append(f"console errors: {console}")
    return not problems, ("; ".join(problems) + " — " if problems else "") + (
        f"B: /login → 'Forgot your password?' → /password/forgot → 'Send me a link' → {SENT!r}; mail {mail['file']} "
        f"{mail['subject']!r} after {waited:.1f} s, link {urlsplit(link).netloc}/password/reset/<43 chars>; opening it → "
        f"{urlsplit(landed).path} (history {[u.split('?')[0] for u in history]}); 'Set new password' → {done['path']} "
        f"{done['flash']!r}; new password → {new['path']} as {new['who']!r}; A's reload → {a_path}?next={a_next}; "
        f"{'a' if changed else 'NO'} {CHANGED_SUBJECT!r} mail; the used link again → {again['alerts']}; "
        f"{len(console)} console errors" + (f" ({len(favicon)} for the browser's own /favicon.ico request, not counted)"
                                            if favicon else ""))


RESET_LAYOUT_JS = """
const box = el => { const r = el.getBoundingClientRect(); return {top: r.top, bottom: r.bottom, left: r.left, right: r.right, width: r.width, height: r.height}; };
const text = el => el ? el.textContent.replace(/\\s+/g, ' ').trim() : null;
const shown = el => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
const form = document.querySelector('main form');
const describe = c => c.id ? '#' + c.id : c.tagName.toLowerCase() + " '" + text(c).slice(0, 30) + "'";
return {
  innerWidth: window.innerWidth,
  innerHeight: window.innerHeight,
  scrollWidth: document.documentElement.scrollWidth,
  card: (c => c && box(c))(document.querySelector('main .card')),
  form: form && box(form),
  controls: form ? [...form.querySelectorAll('input, select, textarea, button')].filter(c => c.type !== 'hidden' && shown(c)).map(c => {
    const label = c.id && c.tagName !== 'BUTTON' ? document.querySelector('label[for="' + CSS.escape(c.id) + '"]') : null;
    const b = label && box(label);
    return Object.assign(box(c), {what: describe(c), button: c.tagName === 'BUTTON', label: label ? text(label) : null,
                                  labelShown: !!label && shown(label) && b.width > 1 && b.height > 1 && b.right > 0 && b.left < window.innerWidth});
  }) : [],
  messages: [...new Set(document.querySelectorAll('main [role=alert], main [role=status], main .field-error'))].filter(shown).map(m =>
    Object.assign(box(m), {text: text(m), scrollWidth: m.scrollWidth, clientWidth: m.clientWidth, color: getComputedStyle(m).color,
                           opacity: parseFloat(getComputedStyle(m).opacity)})),
};
"""


def reset_page_problems(browser, width, field_id, message=None):
    """What is wrong with the reset page shown in `browser`, laid out `width`
    px wide: horizontal scrolling, a form or control that doesn't fit, a
    field without a shown label, `message` (if any) not shown whole on
    screen in a readable colour, focus not on `field_id`. Returns (problems,
    summary)."""
    active = wait_for_focus(browser, field_id)
    layout = browser.driver.execute_script(RESET_LAYOUT_JS)
    inner = layout["innerWidth"]
    problems = []
    if inner != width:
        problems.append(f"laid out {inner} px wide, not {width} (viewport meta tag?)")
    if layout["scrollWidth"] > inner:
        problems.append(f"horizontal scrolling: page {layout['scrollWidth']} px wide in a {inner} px viewport")
    form, card = layout["form"], layout["card"]
    if not form or not card:
        problems.append("no form inside a .card in <main>")
    else:
        for what, b in (("the card", card), ("the form", form)):
            if b["left"] < -0.5 or b["right"] > inner + 0.5:
                problems.append(f"{what} spans x={b['left']:.0f}-{b['right']:.0f}, beyond the {inner} px viewport")
        outside = [f"{c['what']} at x={c['left']:.0f}-{c['right']:.0f}" for c in layout["controls"]
                   if c["left"] < form["left"] - 0.5 or c["right"] > form["right"] + 0.5 or c["right"] > inner + 0.5]
        if outside:
            problems.append(f"controls outside the form ({form['left']:.0f}-{form['right']:.0f}): {outside}")
        narrow = [f"{c['what']} {c['width']:.0f} px" for c in layout["controls"] if not c["button"] and c["width"] < 0.5 * form["width"]]
        if narrow:
            problems.append(f"fields narrower than half the form ({form['width']:.0f} px): {narrow}")
    unlabelled = [c["what"] for c in layout["controls"] if not c["button"] and (not c["label"] or not c["labelShown"])]
    if unlabelled:
        problems.append(f"no shown <label for> on {unlabelled}")
    shown_message = None
    if message:
        matching = [m for m in layout["messages"] if message in m["text"]]
        if not matching:
            problems.append(f"{message!r} not shown (shown messages: {[m['text'] for m in layout['messages']]})")
        else:
            m = shown_message = matching[0]
            if m["left"] < -0.5 or m["right"] > inner + 0.5 or m["top"] < -0.5 or m["bottom"] > layout["innerHeight"] + 0.5:
                problems.append(f"{message!r} is not on screen: x={m['left']:.0f}-{m['right']:.0f}, y={m['top']:.0f}-"
                                f"{m['bottom']:.0f} in {inner}×{layout['innerHeight']}")
            if m["scrollWidth"] > m["clientWidth"] + 1:
                problems.append(f"{message!r} is cut off: {m['scrollWidth']} px of text in {m['clientWidth']} px")
            element = browser.driver.execute_script(
                "return [...document.querySelectorAll('main [role=alert], main [role=status], main .field-error')]"
                ".find(e => e.textContent.includes(arguments[0]))", message)
            colour = parse_colour(m["color"])
            behind = backdrop(browser, element)
            ratio = contrast(over((*colour[:3], colour[3] * m["opacity"]), behind), behind)
            shown_message["contrast"] = ratio
            if ratio < MIN_TEXT_CONTRAST:
                problems.append(f"{message!r} in {hex_colour(colour)} on {hex_colour(behind)}: {ratio:.2f}:1, below "
                                f"{MIN_TEXT_CONTRAST:g}:1")
    if active != f"#{field_id}":
        problems.append(f"focus on {active}, not #{field_id}")
    summary = (f"{urlsplit(browser.driver.current_url).path}: page {layout['scrollWidth']}/{inner} px, form "
               f"{(form or {}).get('width', 0):.0f} px, focus {active}"
               + (f", message at y={shown_message['top']:.0f}-{shown_message['bottom']:.0f} {shown_message['contrast']:.1f}:1"
                  if shown_message else ""))
    return problems, summary


def check_reset_layout(ctx, size):
    width, _, _ = size
    server, outbox = mail_server(ctx)
    browser = ctx.browser()
    browser.set_viewport(size)
    email = unique_email("reset-layout")
    ctx.step = "signing up and logging out"
    sign_up(browser, server, email)
    log_out(browser)
    problems, seen = [], []

    def look(where, field_id, message=None):
        page_problems, summary = reset_page_problems(browser, width, field_id, message)
        problems.extend(f"{where}: {p}" for p in page_problems)
        seen.append(f"{where} {summary}")

    ctx.step = "opening /password/forgot"
    open_page(browser, server, "/password/forgot")
    look("the forgot page", "email")
    ctx.step = "asking for a link"
    type_into(browser, "#email", email)
    press(browser, button(browser, "Send me a link"), "'Send me a link'")
    look("the sent page", "email", SENT)
    ctx.step = "waiting for the reset mail"
    mail = wait_for_mail(outbox, RESET_SUBJECT, email)
    require(mail, f"no mail {RESET_SUBJECT!r} to {email} in the outbox within {MAIL_WAIT} s (it holds: {outbox_listing(outbox)})")
    link, _ = reset_link(mail)
    require(link, f"no reset link in the mail {mail['parts']}")
    link, _ = link_on_server(link, server)  # a wrong origin is check 15's to report
    ctx.step = "opening the link"
    open_link(browser, link)
    require(browser.driver.find_elements(By.CSS_SELECTOR, "#password_confirmation"),
            f"the link did not open the new-password form: {describe(browser)}")
    look("the new-password page", "password")
    ctx.step = "submitting a too-common password"
    type_into(browser, "#password", "password1")
    type_into(browser, "#password_confirmation", "password1")
    press(browser, button(browser, "Set new password"), "'Set new password'")
    look("the new-password page with an error", "password", TOO_COMMON)
    ctx.step = "opening a made-up link"
    open_link(browser, server.url(f"/password/reset/{secrets.token_urlsafe(32)}"))
    look("the expired-link page", "email", LINK_EXPIRED)
    return not problems, ("; ".join(problems) + " — " if problems else "") + "; ".join(seen)


# MARK: email verification and email change (check 17)


VERIFY_SUBJECT = "Confirm your Lith address"
SIGNUP_ATTEMPT_SUBJECT = "Your Lith account"
CHANGE_SUBJECT = "Confirm your new Lith address"
CHANGE_TOLD_SUBJECT = "Your Lith address is being changed"
CHECK_INBOX = "Check your inbox"
UNVERIFIED = "Please confirm your email address first: open the link we mailed to you, or ask for a new one below."
EMAIL_VERIFIED = "Your email address is confirmed."
VERIFY_REFUSED = "This confirmation link has expired or has already been used. Log in to ask for a new one."
VERIFICATION_SENT = "If that address has an account waiting to be confirmed, a new link is on its way. It works for 24 hours."
BANNER = "Please confirm your email address: open the link we mailed to"
EMAIL_CHANGE_SENT = "Check your inbox: we sent a link to the new address. Your address changes when you open it."
EMAIL_CHANGED = "Your email address has been changed."
CONFIRM_CHANGE = "Confirm your new address"
CHANGE_REFUSED = "This link has expired or has already been used. Ask for the change again on your account page."
VERIFY_LINK_RE = re.compile(r"https?://[^\s\"'<>]+/email/verify/([A-Za-z0-9_-]{43})(?![A-Za-z0-9_-])")
CHANGE_LINK_RE = re.compile(r"https?://[^\s\"'<>]+/account/email/confirm/([A-Za-z0-9_-]{43})(?![A-Za-z0-9_-])")
LATER_COOKIE = "lith_verify_later"
DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC")


class LinkOrigin:
    """A server as its mail's links name it (without --public-url,
    http://localhost:PORT): a browser that browses here keeps its cookies
    when it follows a link from the mail, as it would on a real site."""

    def __init__(self, server):
        self.server = server
        self.port = server.port

    def url(self, path):
        return f"http://localhost:{self.port}{path}"


def mailed_link(outbox, subject, to, pattern, what, server, seen=()):
    """Waits for the mail `subject` to `to` and returns (mail, its link at
    the server's link origin, problems); StepFailed if no mail or no link."""
    mail = wait_for_mail(outbox, subject, to, seen=seen)
    require(mail, f"no mail {subject!r} to {to} in the outbox within {MAIL_WAIT} s (it holds: {outbox_listing(outbox)}; "
            f"server log: {tail(server.stderr_path, 3)})")
    link, problems = link_in_mail(mail, pattern, what)
    require(link, "; ".join(problems))
    link, origin_problem = link_on_server(link, server)
    return mail, link, problems + ([origin_problem] if origin_problem else [])


BANNER_JS = """
const text = el => el ? el.textContent.replace(/\\s+/g, ' ').trim() : null;
const shown = el => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
const banner = document.querySelector('main .banner');
return {
  // Said anywhere on the page: a banner that lost its class still counts as shown.
  said: document.body.innerText.includes(arguments[0]),
  banner: banner && shown(banner) ? {text: text(banner.querySelector('p')), role: banner.getAttribute('role'),
                                     buttons: [...banner.querySelectorAll('button')].filter(shown).map(text)} : null,
};
"""


def banner_state(browser):
    """The 'confirm your address' banner: None if the page doesn't ask, else
    what it says and its buttons."""
    state = browser.driver.execute_script(BANNER_JS, BANNER)
    if not state["said"] and not state["banner"]:
        return None
    return state["banner"] or {"text": None, "role": None, "buttons": []}


FACTS_JS = """
const text = el => el ? el.textContent.replace(/\\s+/g, ' ').trim() : null;
const facts = {};
for (const dt of document.querySelectorAll('dl.facts dt')) facts[text(dt)] = text(dt.nextElementSibling);
return facts;
"""


def account_facts(browser):
    """The account page's facts (Email, Address confirmed, …), term → text."""
    facts = browser.driver.execute_script(FACTS_JS)
    require(facts, f"no facts (dl.facts) on the account page {describe(browser)}")
    return facts


def shown_buttons(browser, text, form_action):
    return [b for b in browser.driver.find_elements(By.XPATH, f"//form[@action='{form_action}']//button[normalize-space()='{text}']")
            if b.is_displayed()]


def check_required_verification(ctx):
    server, outbox = mail_server(ctx, ["--email-verification", "required"])
    site = LinkOrigin(server)
    browser = ctx.browser(performance_log=True)
    email = unique_email("required")
    problems = []

    # Given a server that requires a confirmed address, when a person signs up,
    # then "Check your inbox" answers, with no session.
    ctx.step = "signing up"
    fill_signup(browser, site, email)
    inbox = page_state(browser)
    require(inbox["h1"] == CHECK_INBOX and inbox["title"].startswith(CHECK_INBOX) and not inbox["who"],
            f"after 'Create account': expected a {CHECK_INBOX!r} page, not signed in, got signed in as {inbox['who']!r}, "
            f"alerts {inbox['alerts']} {describe(browser, inbox)}")
    if email not in inbox["body"]:
        problems.append(f"the {CHECK_INBOX!r} page doesn't name {email}")
    if session_cookie(browser):
        problems.append("the signup set a session cookie")
    ctx.step = "opening /dashboard after signing up"
    open_page(browser, site, "/dashboard")
    path, next_ = path_and_next(browser)
    if path != "/login" or page_state(browser)["who"]:
        problems.append(f"/dashboard right after signing up → {describe(browser)}, not /login (a session was started)")
    ctx.step = "waiting for the confirmation mail"
    first, first_link, link_problems = mailed_link(outbox, VERIFY_SUBJECT, email, VERIFY_LINK_RE, "confirmation", server)
    problems += link_problems

    # When the same address signs up again, then the page is the same, and
    # the address's owner is told (no link).
    ctx.step = "signing up again with the same address"
    fill_signup(browser, site, email, NEW_PASSWORD)
    again = page_state(browser)
    if again["h1"] != CHECK_INBOX or again["body"] != inbox["body"] or again["who"]:
        problems.append(f"signing up again with a taken address answered differently: {describe(browser, again)}, "
                        f"body {again['body'][:200]!r} vs {inbox['body'][:200]!r}")
    ctx.step = "waiting for the 'someone tried' mail"
    attempt = wait_for_mail(outbox, SIGNUP_ATTEMPT_SUBJECT, email, seen={first["file"]})
    if not attempt:
        problems.append(f"no mail {SIGNUP_ATTEMPT_SUBJECT!r} to {email} after the second signup (outbox: {outbox_listing(outbox)})")
    elif "/email/verify/" in "".join(attempt["parts"].values()):
        problems.append(f"the {SIGNUP_ATTEMPT_SUBJECT!r} mail carries a confirmation link")

    # When they log in before confirming: a wrong password says only
    # "Invalid email or password"; the right one says "confirm first" (403)
    # and offers a new link.
    ctx.step = "logging in with a wrong password before confirming"
    open_page(browser, site, "/login")
    log_in(browser, email, WRONG_PASSWORD)
    wrong = page_state(browser)
    if not any(INVALID_LOGIN in a for a in wrong["alerts"]) or UNVERIFIED in wrong["body"] or wrong["who"]:
        problems.append(f"a wrong password before confirming: alerts {wrong['alerts']}, signed in as {wrong['who']!r} "
                        f"(expected only {INVALID_LOGIN!r}) {describe(browser, wrong)}")
    ctx.step = "logging in with the right password before confirming"
    last_document(browser, site)  # drop what came before
    log_in(browser, email, PASSWORD)
    early = page_state(browser)
    status = last_document(browser, site)
    resend = shown_buttons(browser, "Send a new confirmation link", "/email/verify/resend")
    require(UNVERIFIED in early["alerts"] and not early["who"] and resend,
            f"the right password before confirming: expected a role=alert {UNVERIFIED!r} and a shown 'Send a new "
            f"confirmation link' button, got alerts {early['alerts']}, {len(resend)} buttons, signed in as {early['who']!r} "
            f"{describe(browser, early)}")
    if not status or status[0] != 403:
        problems.append(f"the right password before confirming answered {status[0] if status else '?'}, not 403")

    # When they press "Send a new confirmation link", then a second mail
    # comes with a new link, and the first one is dead.
    ctx.step = "pressing 'Send a new confirmation link'"
    press(browser, resend[0], "'Send a new confirmation link'")
    sent = page_state(browser)
    if not sent["path"].startswith("/login") or sent["flash"] != VERIFICATION_SENT:
        problems.append(f"after 'Send a new confirmation link': flash {sent['flash']!r} {describe(browser, sent)} "
                        f"(expected /login saying {VERIFICATION_SENT!r})")
    ctx.step = "waiting for the second confirmation mail"
    seen = {first["file"]} | ({attempt["file"]} if attempt else set())
    second, link, link_problems = mailed_link(outbox, VERIFY_SUBJECT, email, VERIFY_LINK_RE, "confirmation", server, seen=seen)
    problems += link_problems
    require(link != first_link, "the second confirmation mail carries the same link as the first")
    ctx.step = "opening the first (replaced) link"
    open_link(browser, first_link)
    stale = page_state(browser)
    if stale["flash"] != VERIFY_REFUSED or stale["who"]:
        problems.append(f"the replaced first link: flash {stale['flash']!r} {describe(browser, stale)} (expected {VERIFY_REFUSED!r})")

    # When they open the new link, then the login page says the address is
    # confirmed, and the password logs in.
    ctx.step = "opening the confirmation link"
    open_link(browser, link)
    confirmed = page_state(browser)
    require(urlsplit(browser.driver.current_url).path == "/login" and confirmed["flash"] == EMAIL_VERIFIED and not confirmed["who"],
            f"opening the link: expected /login saying {EMAIL_VERIFIED!r}, got flash {confirmed['flash']!r}, signed in as "
            f"{confirmed['who']!r} {describe(browser, confirmed)}")
    ctx.step = "logging in after confirming"
    log_in(browser, email, PASSWORD)
    home = page_state(browser)
    ok_home = home["path"] == "/dashboard" and home["who"] == email and (home["h1"] or "").startswith("Hello")
    if not ok_home:
        problems.append(f"logging in after confirming: alerts {home['alerts']}, signed in as {home['who']!r} {describe(browser, home)}")
    return not problems, ("; ".join(problems) + " — " if problems else "") + (
        f"signup → {inbox['title']!r}, no session, /dashboard → {path}?next={next_}; mail {first['subject']!r}; the same "
        f"address again → the same page and {'a' if attempt else 'NO'} {SIGNUP_ATTEMPT_SUBJECT!r} mail; wrong password → "
        f"{wrong['alerts']}; right password → {status[0] if status else '?'} {early['alerts']} with 'Send a new confirmation "
        f"link'; pressing it → {sent['flash']!r} and a new link; the first link → {stale['flash']!r}; the new link → "
        f"/login {confirmed['flash']!r}; logging in → "
        f"{home['path']} {home['h1']!r}")


def check_verification_banner(ctx):
    server, outbox = mail_server(ctx)
    site = LinkOrigin(server)
    browser = ctx.browser()
    email = unique_email("banner")
    problems = []

    # Given the default (optional) mode, when a person signs up, then the
    # dashboard asks them to confirm their address, with two buttons.
    ctx.step = "signing up"
    sign_up(browser, site, email)
    banner = banner_state(browser)
    require(banner and banner["text"] == f"{BANNER} {email}" and {"Send a new link", "Not now"} <= set(banner["buttons"]),
            f"after signing up: expected a banner {BANNER + ' ' + email!r} with 'Send a new link' and 'Not now', "
            f"got {banner} {describe(browser)}")
    ctx.step = "waiting for the confirmation mail"
    first, first_link, link_problems = mailed_link(outbox, VERIFY_SUBJECT, email, VERIFY_LINK_RE, "confirmation", server)
    problems += link_problems

    # When they press "Send a new link", then the dashboard says so, and a
    # second mail brings a new link.
    ctx.step = "pressing 'Send a new link'"
    press(browser, button(browser, "Send a new link", within="//form[@action='/email/verify/resend']"), "'Send a new link'")
    sent = page_state(browser)
    if sent["path"] != "/dashboard" or sent["flash"] != VERIFICATION_SENT or not banner_state(browser):
        problems.append(f"after 'Send a new link': flash {sent['flash']!r}, banner {banner_state(browser)} {describe(browser, sent)} "
                        f"(expected /dashboard saying {VERIFICATION_SENT!r}, the banner still there)")
    ctx.step = "waiting for the second confirmation mail"
    _, link, link_problems = mailed_link(outbox, VERIFY_SUBJECT, email, VERIFY_LINK_RE, "confirmation", server,
                                         seen={first["file"]})
    problems += link_problems
    require(link != first_link, "the second confirmation mail carries the same link as the first")

    ctx.step = "opening the account page before confirming"
    open_account(browser)
    before = account_facts(browser)
    account_resend = shown_buttons(browser, "Send a new link", "/email/verify/resend")
    if not (before.get("Address confirmed") or "").startswith("Not yet") or not account_resend:
        problems.append(f"the account page before confirming says Address confirmed: {before.get('Address confirmed')!r}, "
                        f"{len(account_resend)} 'Send a new link' buttons (expected 'Not yet' and one)")

    # When they press "Not now", then the banner is gone, also after a
    # reload, until the browser session ends (its cookie has no expiry).
    ctx.step = "pressing 'Not now'"
    open_page(browser, site, "/dashboard")
    press(browser, button(browser, "Not now", within="//form[@action='/email/verify/later']"), "'Not now'")
    later = page_state(browser)
    require(later["path"] == "/dashboard" and later["who"] == email and not banner_state(browser),
            f"after 'Not now': expected the dashboard without the banner, got banner {banner_state(browser)}, signed in as "
            f"{later['who']!r} {describe(browser, later)}")
    reload_page(browser)
    if banner_state(browser):
        problems.append("the banner came back on reloading the dashboard after 'Not now'")
    cookie = next((c for c in browser.driver.get_cookies() if c["name"].endswith(LATER_COOKIE)), None)
    if not cookie:
        problems.append(f"no {LATER_COOKIE} cookie after 'Not now' (cookies {[c['name'] for c in browser.driver.get_cookies()]})")
    else:
        if "expiry" in cookie:
            problems.append(f"the {cookie['name']} cookie outlives the browser session (expiry {cookie['expiry']})")
        ctx.step = "ending the 'Not now' cookie, as closing the browser does"
        browser.driver.delete_cookie(cookie["name"])
        reload_page(browser)
        if not banner_state(browser):
            problems.append("without the 'Not now' cookie (a new browser session) the banner stays away, though the address "
                            "is not confirmed")

    # When they open the replaced link, then it is refused; when they open
    # the new one, then the address is confirmed and the banner is gone.
    ctx.step = "opening the first (replaced) link"
    open_link(browser, first_link)
    stale = page_state(browser)
    if stale["flash"] != VERIFY_REFUSED or not banner_state(browser):
        problems.append(f"the replaced first link: flash {stale['flash']!r}, banner {banner_state(browser)} "
                        f"{describe(browser, stale)} (expected {VERIFY_REFUSED!r} and the banner)")
    ctx.step = "opening the confirmation link"
    open_link(browser, link)
    confirmed = page_state(browser)
    require(confirmed["path"] == "/dashboard" and confirmed["flash"] == EMAIL_VERIFIED and confirmed["who"] == email,
            f"opening the link signed in: expected /dashboard saying {EMAIL_VERIFIED!r}, got flash {confirmed['flash']!r}, "
            f"signed in as {confirmed['who']!r} {describe(browser, confirmed)}")
    if banner_state(browser):
        problems.append(f"the banner is still there after confirming: {banner_state(browser)}")
    reload_page(browser)
    if banner_state(browser):
        problems.append("the banner is back on reloading the dashboard after confirming")
    ctx.step = "opening the account page after confirming"
    open_account(browser)
    after = account_facts(browser)
    if not DATE_RE.fullmatch(after.get("Address confirmed") or "") or shown_buttons(browser, "Send a new link", "/email/verify/resend"):
        problems.append(f"the account page after confirming says Address confirmed: {after.get('Address confirmed')!r} "
                        "(expected a date, and no 'Send a new link')")
    ctx.step = "opening the used link again"
    open_link(browser, link)
    used = page_state(browser)
    if used["flash"] != VERIFY_REFUSED:
        problems.append(f"the used link again: flash {used['flash']!r} {describe(browser, used)} (expected {VERIFY_REFUSED!r})")
    return not problems, ("; ".join(problems) + " — " if problems else "") + (
        f"signup → banner {banner['text']!r} {banner['buttons']}; 'Send a new link' → {sent['flash']!r}, a second link; "
        f"account page 'Address confirmed': {before.get('Address confirmed')!r}; 'Not now' → no banner (also after a reload), "
        f"back without its cookie; the first link → {stale['flash']!r}; the new link → {confirmed['path']} "
        f"{confirmed['flash']!r}, no banner; account page {after.get('Address confirmed')!r}; the link again → {used['flash']!r}")


def check_email_change(ctx):
    server, outbox = mail_server(ctx)
    site = LinkOrigin(server)
    browser = ctx.browser()
    email, new_email = unique_email("old-address"), unique_email("new-address")
    problems = []

    # Given a signed-in person on their account page, when they ask for a
    # new address with a wrong password, then the form says so (as 4a
    # demands of signup) and keeps the address typed.
    ctx.step = "signing up"
    sign_up(browser, site, email)
    ctx.step = "opening the account page"
    open_account(browser)
    ctx.step = "asking for a new address with a wrong password"
    type_into(browser, "#new_email", new_email)
    type_into(browser, "#email_change_password", WRONG_PASSWORD)
    press(browser, button(browser, "Change email address"), "'Change email address'")
    field_problems, summary = field_error_problems(browser, "email_change_password", "current password")
    problems += [f"a wrong password: {p}" for p in field_problems]
    kept = find(browser, "#new_email", "the new-address field").get_attribute("value")
    if kept != new_email:
        problems.append(f"after a wrong password the new-address field holds {kept!r}, not {new_email!r}")

    # When they ask with the current password, then the account page says to
    # check the inbox, and the address has not changed yet.
    ctx.step = "asking for a new address with the current password"
    type_into(browser, "#new_email", new_email)
    type_into(browser, "#email_change_password", PASSWORD)
    press(browser, button(browser, "Change email address"), "'Change email address'")
    asked = page_state(browser)
    require(asked["path"] == "/account" and asked["flash"] == EMAIL_CHANGE_SENT,
            f"after 'Change email address': expected /account saying {EMAIL_CHANGE_SENT!r}, got flash {asked['flash']!r}, "
            f"alerts {asked['alerts']} {describe(browser, asked)}")
    pending = account_facts(browser)
    if pending.get("Email") != email or asked["who"] != email:
        problems.append(f"the address changed before the link was opened: Email {pending.get('Email')!r}, navbar {asked['who']!r}")

    # Then the new address gets the link, and the old one is told (no link).
    ctx.step = "waiting for the mail to the new address"
    mail, link, link_problems = mailed_link(outbox, CHANGE_SUBJECT, new_email, CHANGE_LINK_RE, "change", server)
    problems += link_problems
    ctx.step = "waiting for the mail to the old address"
    told = wait_for_mail(outbox, CHANGE_TOLD_SUBJECT, email, seen={mail["file"]})
    if not told:
        problems.append(f"no mail {CHANGE_TOLD_SUBJECT!r} to {email} (outbox: {outbox_listing(outbox)})")
    elif new_email not in told["parts"].get("text/plain", "") or "/account/email/confirm/" in "".join(told["parts"].values()):
        problems.append(f"the mail to the old address doesn't name {new_email}, or carries the link: {told['parts'].get('text/plain')!r}")

    # When they open the link, then a page names the new address and asks for
    # a click; opening it (twice, as a mail scanner might) changes nothing.
    ctx.step = "opening the change link"
    open_link(browser, link)
    shown = page_state(browser)
    use = shown_buttons(browser, "Use this address", "/account/email/confirm")
    require(shown["h1"] == CONFIRM_CHANGE and new_email in shown["body"] and use,
            f"opening the link: expected a page {CONFIRM_CHANGE!r} naming {new_email} with a 'Use this address' button, got "
            f"flash {shown['flash']!r}, {len(use)} buttons {describe(browser, shown)}")
    if shown["who"] != email:
        problems.append(f"opening the link alone changed the navbar to {shown['who']!r}")
    ctx.step = "opening the change link a second time"
    open_link(browser, link)
    twice = page_state(browser)
    use = shown_buttons(browser, "Use this address", "/account/email/confirm")
    require(twice["h1"] == CONFIRM_CHANGE and use,
            f"opening the link a second time (before the click): expected {CONFIRM_CHANGE!r} again, got flash "
            f"{twice['flash']!r} {describe(browser, twice)} (opening it must not use it up)")

    # When they press "Use this address", then the account page shows the new address.
    ctx.step = "pressing 'Use this address'"
    press(browser, use[0], "'Use this address'")
    changed = page_state(browser)
    facts = account_facts(browser) if changed["path"] == "/account" else {}
    require(changed["path"] == "/account" and changed["flash"] == EMAIL_CHANGED and facts.get("Email") == new_email,
            f"after 'Use this address': expected /account saying {EMAIL_CHANGED!r} with Email {new_email}, got flash "
            f"{changed['flash']!r}, facts {facts} {describe(browser, changed)}; server log: {tail(server.stderr_path, 1)}")
    if changed["who"] != new_email:
        problems.append(f"the navbar still says {changed['who']!r} after the change")
    if not DATE_RE.fullmatch(facts.get("Address confirmed") or ""):
        problems.append(f"after the change 'Address confirmed' says {facts.get('Address confirmed')!r}, not a date "
                        "(the link proved the new address)")

    # When they log out and in again, then only the new address logs in.
    ctx.step = "logging out, logging in with the old address"
    log_out(browser)
    log_in(browser, email, PASSWORD)
    old = page_state(browser)
    if not any(INVALID_LOGIN in a for a in old["alerts"]) or old["who"]:
        problems.append(f"the old address: alerts {old['alerts']}, signed in as {old['who']!r} {describe(browser, old)}")
    ctx.step = "logging in with the new address"
    log_in(browser, new_email, PASSWORD)
    new = page_state(browser)
    if new["path"] != "/dashboard" or new["who"] != new_email or not (new["h1"] or "").startswith("Hello"):
        problems.append(f"the new address did not log in: alerts {new['alerts']}, signed in as {new['who']!r} {describe(browser, new)}")
    ctx.step = "opening the used change link again"
    open_link(browser, link)
    used = page_state(browser)
    if used["flash"] != CHANGE_REFUSED:
        problems.append(f"the used change link again: flash {used['flash']!r} {describe(browser, used)} (expected {CHANGE_REFUSED!r})")
    return not problems, ("; ".join(problems) + " — " if problems else "") + (
        f"wrong password → {summary}; 'Change email address' → {asked['flash']!r}; mail {mail['subject']!r} to the new "
        f"address, {told['subject'] if told else 'NO mail'!r} to the old; the link → {shown['title']!r} (twice), 'Use this "
        f"address' → {changed['path']} {changed['flash']!r}, "
        f"Email {facts.get('Email')!r}, confirmed {facts.get('Address confirmed')!r}; old address → {old['alerts']}; new "
        f"address → {new['path']} {new['h1']!r}; the link again → {used['flash']!r}")


REGION_LAYOUT_JS = """
const box = el => { const r = el.getBoundingClientRect(); return {top: r.top, bottom: r.bottom, left: r.left, right: r.right, width: r.width, height: r.height}; };
const text = el => el ? el.textContent.replace(/\\s+/g, ' ').trim() : null;
const shown = el => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
const describe = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className ? '.' + String(el.className).trim().split(/\\s+/).join('.') : '')
  + " '" + text(el).slice(0, 40) + "'";
const region = document.querySelector(arguments[0]);
if (!region || !shown(region)) return null;
const inside = [region, ...region.querySelectorAll('*')].filter(el => el.tagName !== 'INPUT' || el.type !== 'hidden').filter(shown);
return {
  innerWidth: window.innerWidth,
  innerHeight: window.innerHeight,
  scrollWidth: document.documentElement.scrollWidth,
  region: box(region),
  // Anything in the region that reaches beyond the viewport's sides.
  beyond: inside.filter(el => { const b = box(el); return b.left < -0.5 || b.right > window.innerWidth + 0.5; })
    .map(el => Object.assign(box(el), {what: describe(el)})),
  // Text wider than its own box (a word that doesn't break), inputs aside (their value scrolls).
  spilling: inside.filter(el => !['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName) && getComputedStyle(el).display !== 'inline'
                                && el.scrollWidth > el.clientWidth + 1)
    .map(el => ({what: describe(el), scrollWidth: el.scrollWidth, clientWidth: el.clientWidth})),
  fields: [...region.querySelectorAll('input, select, textarea')].filter(c => c.type !== 'hidden' && shown(c)).map(c => {
    const label = c.id ? document.querySelector('label[for="' + CSS.escape(c.id) + '"]') : null;
    const b = label && box(label);
    const form = c.closest('form');
    return Object.assign(box(c), {what: '#' + c.id, formWidth: form ? box(form).width : null, label: label ? text(label) : null,
                                  labelShown: !!label && shown(label) && b.width > 1 && b.height > 1 && b.right > 0 && b.left < window.innerWidth});
  }),
  buttons: [...region.querySelectorAll('button')].filter(shown).map(b => Object.assign(box(b), {text: text(b)})),
};
"""


def set_viewport_and_settle(browser, size):
    """Emulates `size` and waits (briefly) for the page to be laid out at its width."""
    browser.set_viewport(size)
    deadline = time.monotonic() + FOCUS_WAIT
    while browser.driver.execute_script("return window.innerWidth") != size[0] and time.monotonic() < deadline:
        time.sleep(0.1)


def save_region_shot(browser, css, name):
    """With BROWSER_SCREENSHOTS: the element `css` saved as `name` (scrolled
    into view, so a card below the fold is in the picture); returns the file."""
    directory = browser.suite.screenshots
    if not directory:
        return None
    path = os.path.join(directory, f"{browser.slug}-{name}.png")
    element = find(browser, css)
    browser.driver.execute_script("arguments[0].scrollIntoView({block: 'start'})", element)
    element.screenshot(path)
    browser.driver.execute_script("window.scrollTo(0, 0)")
    return path


def region_problems(browser, css, size):
    """What is wrong with the region `css` laid out at `size`: the page
    scrolling sideways, anything in the region beyond the viewport's sides,
    text spilling out of its box, a field narrower than half its form or
    without a shown <label for>. Returns (problems, summary)."""
    width = size[0]
    layout = browser.driver.execute_script(REGION_LAYOUT_JS, css)
    if layout is None:
        return [f"no shown {css}"], f"no {css}"
    inner = layout["innerWidth"]
    problems = []
    if inner != width:
        # A phone zooms out to show content wider than the screen: its layout viewport grows.
        problems.append(f"laid out {inner} px wide, not {width} "
                        + ("(content wider than the screen: the phone zoomed out)" if inner > width else "(viewport meta tag?)"))
    if layout["scrollWidth"] > inner:
        problems.append(f"horizontal scrolling: page {layout['scrollWidth']} px wide in a {inner} px viewport")
    beyond = [f"{b['what']} at x={b['left']:.0f}-{b['right']:.0f}" for b in layout["beyond"]]
    if beyond:
        problems.append(f"beyond the {inner} px viewport: {beyond[:4]}")
    spilling = [f"{s['what']} ({s['scrollWidth']} px of content in {s['clientWidth']} px)" for s in layout["spilling"]]
    if spilling:
        problems.append(f"content wider than its box: {spilling[:4]}")
    narrow = [f"{f['what']} {f['width']:.0f} px" for f in layout["fields"] if f["formWidth"] and f["width"] < 0.5 * f["formWidth"]]
    if narrow:
        problems.append(f"fields narrower than half their form: {narrow}")
    unlabelled = [f["what"] for f in layout["fields"] if not f["label"] or not f["labelShown"]]
    if unlabelled:
        problems.append(f"no shown <label for> on {unlabelled}")
    region = layout["region"]
    summary = (f"{width}×{size[1]}: page {layout['scrollWidth']}/{inner} px, {css} x={region['left']:.0f}-{region['right']:.0f}, "
               f"buttons {[b['text'] for b in layout['buttons']]}")
    return problems, summary


def check_verification_layout(ctx):
    required = ctx.server(extra=["--email-verification", "required"])
    optional = LinkOrigin(ctx.server())  # another host name: the two servers' cookies kept apart
    browser = ctx.browser()
    problems, seen, shots = [], [], []

    def look(where, css, label):
        """The region `css` of the page shown, at a phone's and a desktop's size."""
        for size in (PHONE, DESKTOP):
            set_viewport_and_settle(browser, size)
            region, summary = region_problems(browser, css, size)
            problems.extend(f"{where} at {size[0]}×{size[1]}: {p}" for p in region)
            seen.append(f"{where} {summary}")
            shot = save_region_shot(browser, css, f"{label}-{size[0]}x{size[1]}")
            if shot:
                shots.append(os.path.basename(shot))
        set_viewport_and_settle(browser, PHONE)

    # Given a long address on a phone, when a person signs up where
    # confirmation is required, then "Check your inbox" fits the screen.
    browser.set_viewport(PHONE)
    ctx.step = "signing up where confirmation is required"
    fill_signup(browser, required, LONG_EMAIL)
    require(page_state(browser)["h1"] == CHECK_INBOX, f"signing up did not answer {CHECK_INBOX!r}: {describe(browser)}")
    look("the check-inbox page", "main .card", "check-inbox")

    # When they sign up where it is optional, then the dashboard's banner fits,
    # sits above the card, and its text is readable (≥ 4.5:1).
    ctx.step = "signing up where confirmation is optional"
    sign_up(browser, optional, LONG_EMAIL)
    require(banner_state(browser), f"no banner on the dashboard after signing up {describe(browser)}")
    look("the dashboard's banner", "main .banner", "dashboard-banner")
    banner_text = find(browser, "main .banner p", "the banner's text")
    colour = parse_colour(browser.driver.execute_script("return getComputedStyle(arguments[0]).color", banner_text))
    behind = backdrop(browser, banner_text)
    ratio = contrast(over(colour, behind), behind)
    if ratio < MIN_TEXT_CONTRAST:
        problems.append(f"the banner's text {hex_colour(colour)} on {hex_colour(behind)}: {ratio:.2f}:1, below {MIN_TEXT_CONTRAST:g}:1")
    above = browser.driver.execute_script(
        "const b = document.querySelector('main .banner'), c = document.querySelector('main .card');"
        "return b && c ? b.getBoundingClientRect().bottom <= c.getBoundingClientRect().top + 0.5 : null")
    if not above:
        problems.append("the banner is not above the dashboard's card")

    # When they open the account page, then its "Address confirmed" card (with
    # its button) and the change-email card fit.
    ctx.step = "opening the account page"
    open_account(browser)
    look("the account page's first card", "main .card", "account-facts")
    look("the change-email card", "main section[aria-labelledby='email-heading']", "account-change-email")
    return not problems, ("; ".join(problems) + " — " if problems else "") + "; ".join(seen) + (
        f"; banner text {ratio:.1f}:1" + (f"; screenshots {shots}" if shots else ""))


# (name, short name for files, function[, time limit if not CHECK_TIMEOUT])
CHECKS = [
    ("1. signup → dashboard → logout → login with next", "1-round-trip", check_round_trip),
    ("2. 'Log in to continue to that page.' only with next", "2-continue-hint", check_continue_hint),
    ("3a. stale login form in a second tab", "3a-stale-login", check_stale_login_form),
    ("3b. Logout in two dashboard tabs", "3b-two-tab-logout", check_two_tab_logout),
    ("4a. signup error: mismatched confirmation", "4a-confirmation-error", check_confirmation_error),
    ("4b. signup error: malformed email", "4b-email-error", check_email_error),
    ("4c. password hint in aria-describedby", "4c-password-hint", check_password_hint),
    ("4d. login error: wrong password", "4d-wrong-password", check_wrong_password),
    ("5a. phone layout 390×844, long email", "5a-phone", lambda ctx: check_layout(ctx, PHONE)),
    ("5b. desktop layout 1280×800, long email", "5b-desktop", lambda ctx: check_layout(ctx, DESKTOP)),
    ("6. contrast of the field border and the focus ring", "6-contrast", check_contrast),
    ("7. session idle text with --session-idle 10s", "7-session-idle", check_session_idle_text),
    ("8. stylesheet under the Content-Security-Policy", "8-csp", check_csp),
    ("9. password change signs the other browser out", "9-password-change", check_password_change, 45),
    ("10. signing out one session, and everywhere else", "10-session-revoke", check_session_revoke, 60),
    ("11. account deletion", "11-account-delete", check_account_delete, 45),
    ("12a. account page on a phone 390×844", "12a-account-phone", lambda ctx: check_account_layout(ctx, PHONE), 45),
    ("12b. account page on a desktop 1280×800", "12b-account-desktop", lambda ctx: check_account_layout(ctx, DESKTOP), 45),
    ("12c. account page by keyboard, and its error focus", "12c-account-keyboard", check_account_keyboard),
    ("13. login throttle as a person meets it", "13-login-throttle", check_login_throttle, 45),
    ("14. signup refuses common and email-like passwords", "14-common-password", check_common_password),
    ("15. forgot password, as a person does it", "15-password-reset", check_password_reset, 60),
    ("16a. reset pages on a phone 390×844", "16a-reset-phone", lambda ctx: check_reset_layout(ctx, PHONE), 45),
    ("16b. reset pages on a desktop 1280×800", "16b-reset-desktop", lambda ctx: check_reset_layout(ctx, DESKTOP), 45),
    ("17a. required email confirmation, end to end", "17a-verify-required", check_required_verification, 60),
    ("17b. the dashboard's confirm-your-address banner", "17b-verify-banner", check_verification_banner, 60),
    ("17c. changing the email address from the account page", "17c-email-change", check_email_change, 60),
    ("17d. check-inbox, banner and change-email card at 390×844 and 1280×800", "17d-verify-layout",
     check_verification_layout, 60),
]


# MARK: running


class CheckContext:
    """One check's servers and browsers (started on demand, stopped after it)
    and the step it is at, for the reason if it fails."""

    def __init__(self, suite, name, slug):
        self.suite = suite
        self.name = name
        self.slug = slug
        self.step = "starting"
        self.servers = []
        self.browsers = []

    def server(self, extra=()):
        self.step = "starting the server"
        server = Server(self.suite, f"{self.slug}-{len(self.servers) + 1}", extra)
        self.servers.append(server)
        return server.start()

    def browser(self, label=None, performance_log=False):
        """A fresh browser; `label` (A, B, …) tells a check's browsers apart in file names."""
        self.step = f"starting browser {label.upper()}" if label else "starting the browser"
        browser = Browser(self.suite, f"{self.slug}-{label}" if label else self.slug, performance_log)
        self.browsers.append(browser)
        return browser

    def save_failure(self):
        directory = self.suite.failure_dir()
        written = []
        for browser in self.browsers:
            try:
                with time_limit(10):
                    written += browser.save_failure(directory)
            except (CheckTimeout, Exception) as error:  # noqa: BLE001 - a hung browser still fails the check
                info(f"could not save the failing page: {type(error).__name__}: {error}")
        if written:
            info(f"failing page saved: {', '.join(written)}")

    def close(self):
        for browser in self.browsers:
            browser.quit()
        for server in self.servers:
            server.stop()


def run_check(suite, report, name, slug, function, timeout=CHECK_TIMEOUT):
    ctx = CheckContext(suite, name, slug)
    try:
        with time_limit(timeout):
            ok, reason = function(ctx)
    except CheckTimeout:
        ok, reason = False, f"timed out after {timeout} s while {ctx.step}"
    except StepFailed as failure:
        ok, reason = False, f"while {ctx.step}: {failure}"
    except WebDriverException as error:
        ok, reason = False, f"while {ctx.step}: {type(error).__name__}: {(error.msg or '').splitlines()[0] if error.msg else error}"
    except Exception as error:  # noqa: BLE001 - an unexpected error is a failed check, and the others still run
        traceback.print_exc()
        ok, reason = False, f"aborted while {ctx.step}: {type(error).__name__}: {error}"
    if not ok:
        ctx.save_failure()
    ctx.close()
    report.check(name, ok, reason)


class Suite(blackbox.Suite):
    def __init__(self, lith, chromium, chromedriver, directory, processes, screenshots):
        super().__init__(lith, directory, processes)
        self.chromium = chromium
        self.chromedriver = chromedriver
        self.screenshots = screenshots
        self._failures = screenshots

    def failure_dir(self):
        """BROWSER_SCREENSHOTS, or a directory made on the first failure and kept."""
        if not self._failures:
            self._failures = tempfile.mkdtemp(prefix="lith-browser-failures-")
        return self._failures


def selected_checks(only):
    """The checks BROWSER_ONLY names (comma-separated numbers: `12c` is that
    check, `12` every check numbered 12 with or without a letter); every
    check when it is empty."""
    wanted = {part.strip().lower() for part in only.split(",") if part.strip()}
    if not wanted:
        return CHECKS
    number = lambda name: name.split(".", 1)[0].lower()  # noqa: E731
    return [check for check in CHECKS if number(check[0]) in wanted or number(check[0]).rstrip("abcdefghij") in wanted]


def find_binary(variable, name, fallback):
    return os.environ.get(variable) or shutil.which(name) or fallback


def main():
    parser = argument_parser(__doc__)
    lith = lith_binary(parser, parser.parse_args())
    chromium = find_binary("CHROMIUM", "chromium", "/usr/bin/chromium")
    chromedriver = find_binary("CHROMEDRIVER", "chromedriver", "/usr/bin/chromedriver")
    for path in (chromium, chromedriver):
        if not os.access(path, os.X_OK):
            parser.error(f"no {os.path.basename(path)} at {path} (apt-get install chromium chromium-driver)")
    screenshots = os.environ.get("BROWSER_SCREENSHOTS")
    if screenshots:
        screenshots = os.path.abspath(screenshots)
        os.makedirs(screenshots, exist_ok=True)

    selected = selected_checks(os.environ.get("BROWSER_ONLY", ""))
    if not selected:
        parser.error(f"BROWSER_ONLY={os.environ['BROWSER_ONLY']!r} names no check (numbers such as 15,16a; 16 means 16a and 16b)")

    run = Run("browser")
    print(f"browser test: {lith} with {chromium}, logs in {run.directory}", flush=True)
    suite = Suite(lith, chromium, chromedriver, run.directory, run.processes, screenshots)
    try:
        for name, slug, function, *timeout in selected:
            run_check(suite, run.report, name, slug, function, *timeout)
    finally:
        run.processes.stop_all()
        for profile in glob.glob(os.path.join(run.directory, "profile-*")):
            shutil.rmtree(profile, ignore_errors=True)  # the browsers' profiles: nothing to read there
    run.finish(notes=[f"screenshots in {screenshots}"] if screenshots else [])


if __name__ == "__main__":
    main()
