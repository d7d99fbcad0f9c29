#!/usr/bin/env python3
"""Mail test: "forgot your password?" end to end, over a real SMTP server
(scripts/smtp-server.py: STARTTLS, AUTH, a throwaway certificate), with
`lith serve` on temporary SQLite files and, for the fleet check, two
instances on one PostgreSQL database.

Usually run through scripts/mail-test.sh, which installs aiosmtpd if missing,
starts PostgreSQL and passes its URL here:

    python3 scripts/mail-test.py [--lith .build/debug/lith] [--database postgres://...]

Every check prints PASS or FAIL with a reason (check 7 prints SKIP instead
when no PostgreSQL URL was given and $CI is not `true`); the last line is
`N passed, M failed`, and the exit status is non-zero if any check failed. The
whole run takes about five minutes, most of it check 11's 800 requests of at
least 250 ms each: check 4 waits for Lith's first retry (30 s) and runs beside
checks 1, 3, 5, 6, 8, 9 and 10 to save that time; checks 2 and 11 (stopwatches)
run alone, and print the load average beside their medians.

What each check proves:
 1. Forgot password over real SMTP (--mail-from with a non-ASCII name): a
    signup, a second client logged in, POST /password/forgot answers the
    sentence; the message reaches the SMTP server over TLS within 10 s with
    Date, Message-ID, From, To, MIME-Version, multipart/alternative (text and
    HTML, UTF-8), the From name RFC 2047-encoded and decoding back, no line
    over 78 characters; the link (the same in both parts, quoted-printable
    decoded) points at http://localhost:PORT; opening it → 303 to
    /password/reset (no token in Location, no-referrer, a short-lived HttpOnly
    cookie); the form; a common password → 422 and the link still works; a
    good one → 303 /login with the flash; both earlier sessions are ended;
    the new password logs in, the old one doesn't; a "was changed" mail
    arrives; the security log has both events.
 2. Existing and unknown addresses get the same status and page (the echoed
    email and CSRF token aside), and take the same time: 60 requests each,
    interleaved on one connection, medians within 15 % or 10 ms.
 3. Refused links, each with the 410 page, and a POST of a new password with
    it changes nothing (the expected password still logs in, the attempted
    one doesn't): a tampered token, a random 43-character one, an older link
    after a newer one was sent, a used link (a second time, in a fresh
    browser), a link after the password was changed on /account. (Expiry is
    left to the unit tests.)
 4. SMTP down when the link is requested: `lith mail queue` shows it queued
    with an attempt and an error; the SMTP server is started on that port;
    the message arrives within 45 s of the request (the first retry is 30 s
    after the first failure).
 5. A refused recipient (550): `lith mail queue` shows it failed with 550
    within 10 s, no retry; the server still serves, and another account's
    mail still goes.
 6. `lith mail test`: a good address → exit 0, one line; a wrong SMTP
    password → exit 69, one stderr line with 535 (and no password in it); a
    refused recipient → 69 with 550. `lith user reset-link` prints a link that
    works in a fresh browser; exit 66 without the database, 64 without
    --public-url.
 7. Fleet: two instances on one PostgreSQL database (a fresh schema per run,
    passed as ?search_path=), one SMTP server: 20 requests for 20 accounts
    over both instances, then the SMTP server stopped for ~5 s while 10 more
    are requested, then started again: within 60 s exactly 30 messages
    arrived, each Message-ID once, each account's link once.
 8. Email verification in the default mode (no --email-verification flag),
    with a --public-url unlike the address served on: signup signs in (303
    /dashboard, the banner, `lith user list` says `unconfirmed`); one
    “Confirm your Lith address” message over TLS with From `Lith
    <no-reply@PUBLIC-HOST>`, To, Subject, a Date within 10 minutes, a
    Message-ID at the public host, MIME-Version, multipart/alternative (text
    and HTML, UTF-8), no line over 78 characters; one PUBLIC-URL/email/verify/
    link of 43 base64url characters, the same in both parts. Opening it signed
    in → 303 /dashboard (no-referrer), “confirmed” flash, no banner, `lith
    user list` shows today's ISO date, one email_verified event. Again, in a
    fresh browser (→ /login) and in the same one (→ /dashboard): the refused
    flash, the date and the log unchanged. A second account's link with one
    character changed, a random 43-character token and 64 hex digits: each
    refused, the account still unconfirmed; its genuine link then works.
 9. --email-verification required: signing up a new address and one with an
    (unconfirmed) account give 200 “Check your inbox” pages identical apart
    from the typed address and CSRF token, the same cookie names, no session;
    the newcomer gets a link, the owner “Your Lith account” saying “Someone
    tried to create” with no link (and no second confirmation). Login with a
    wrong password → 422, with the right one → 403 “Please confirm your email
    address first” with the resend form, no session. Resend from that form
    and for an unknown address: both 303 /login with the same flash, in at
    least 250 ms; a second link to the newcomer only. The first link is then
    refused (replaced), the second → 303 /login, confirmed, login → 303.
10. Email change (default mode): a wrong current password → 422; a taken and
    a free new address get the same 303 /account and flash; one “Confirm your
    new Lith address” link (PORT-bound origin, both parts) to the free
    address, nothing to the taken one, and a “Your Lith address is being
    changed” notice per request to the old address with no link in it and
    the address asked for. Opening the link, in a fresh browser (a mail
    scanner) and in the signed-in one: 200, same-origin, the new address and
    a “Use this address” form carrying the token; nothing moved (the new
    address doesn't log in, `lith user list` unchanged). Its POST → 303
    /account, the flash, the new address shown; then the new address logs in
    (303), the old gets 422, `lith user list` has only the new one, confirmed;
    the security log has 2 email_change_requested and 1 email_changed. The
    link again, its token POSTed again, and the old address's unused signup
    link → each 303 with the refused flash, nothing changed.
11. Timing in required mode (reset throttles raised to 1000000, so no
    throttled answer is expected; any is left out of the samples and
    counted: a 429 from forgot, a 303 with Retry-After from resend): 200 rounds
    (MAIL_TIMING_COUNT), each of POST /password/forgot and POST
    /email/verify/resend for an existing unconfirmed address and an unknown
    one in a shuffled order, on one connection; per endpoint the medians and
    p90s, PASS if the medians are less than 25 ms apart, every answer is the
    expected one (the sentence; 303 /login), at least 90 % are samples, and
    none came back in under 250 ms (the padding).

Environment: LITH_BIN (the binary, default .build/debug/lith), MAIL_PIDFILE
(every process started here is appended to it, so a wrapper can clean up even
if this script is killed), MAIL_KEEP_DIR=1 (keep the temp dir with the
servers' logs, databases and messages), MAIL_TIME_LIMIT (seconds before the
whole run gives up, default 900), MAIL_PG_ERROR (why the wrapper could not
start PostgreSQL, for the SKIP line), CI (`true`: a missing PostgreSQL is a
failure, not a skip), MAIL_ONLY=8,9 (run only the checks numbered so; the
default is every check), MAIL_TIMING_COUNT (check 11's rounds, default 200).
"""

import email
import email.policy
import email.utils
import html
import json
import math
import os
import random
import re
import secrets
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from datetime import datetime, timezone

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # blackbox.py, even under python3 -P
import blackbox  # noqa: E402
from blackbox import (LithServer, Run, argument_parser, events, free_port, guarded, info, lith_binary,  # noqa: E402
                      normalise, read, signed_in, start_or_fail, stop_process, tail, wait_for_port)

HERE = os.path.dirname(os.path.abspath(__file__))
SMTP_SERVER = os.path.join(HERE, "smtp-server.py")
SMTP_READY_RE = re.compile(r"SMTP_READY port=(\d+)")
SCRYPT = "ln=4,r=8,p=1"
PASSWORD = "mail suite passphrase 41"
SMTP_USER = "lith-mailer"
SMTP_PASSWORD = "smtp-secret-4711"
MAIL_FROM = "Lïth Ops <no-reply@example.com>"
MAIL_FROM_NAME = "Lïth Ops"
NO_THROTTLE = ("login-pair=1000000,login-account=1000000,login-address=1000000,"
               "reset-account=1000,reset-address=1000")
RESET_THROTTLE = "reset-account=1000,reset-address=1000"
FIELD_ERROR_RE = re.compile(r'<p class="field-error" id="password-error">(.*?)</p>', re.S)
LINK_RE = re.compile(r"(https?://[^/\s\"'<>]+)/password/reset/([A-Za-z0-9_-]+)")
RESET_COOKIE = "lith_reset"
SENT_SENTENCE = "If an account exists for that address, we've sent a link. It works for one hour."
EXPIRED_SENTENCE = "This link has expired or has already been used. Ask for a new one below."
RESET_FLASH = "Your password has been reset. Log in with your new password."
RESET_SUBJECT = "Reset your Lith password"
CHANGED_SUBJECT = "Your Lith password was changed"
INVALID = "Invalid email or password."
FORGOT_FORM = 'action="/password/forgot"'
# Email verification and email change (checks 8 to 11).
VERIFY_SUBJECT = "Confirm your Lith address"
ATTEMPT_SUBJECT = "Your Lith account"
CHANGE_SUBJECT = "Confirm your new Lith address"
NOTICE_SUBJECT = "Your Lith address is being changed"
VERIFY_RE = re.compile(r"(https?://[^/\s\"'<>]+)/email/verify/([A-Za-z0-9_-]+)")
CONFIRM_RE = re.compile(r"(https?://[^/\s\"'<>]+)/account/email/confirm/([A-Za-z0-9_-]+)")
VERIFIED_FLASH = "Your email address is confirmed."
VERIFY_REFUSED = "This confirmation link has expired or has already been used. Log in to ask for a new one."
RESENT_FLASH = "If that address has an account waiting to be confirmed, a new link is on its way. It works for 24 hours."
CHANGE_SENT_FLASH = "Check your inbox: we sent a link to the new address. Your address changes when you open it."
CHANGED_FLASH = "Your email address has been changed."
CHANGE_REFUSED = "This link has expired or has already been used. Ask for the change again on your account page."
UNVERIFIED = "Please confirm your email address first"
BANNER = "Please confirm your email address: open the link we mailed to"
ATTEMPT_SENTENCE = "Someone tried to create"
CHECK_INBOX = "<h1>Check your inbox</h1>"
ISO_DATE_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)$")
MAILED_LINK_THROTTLE = "reset-account=1000000,reset-address=1000000,signup-address=1000"


# MARK: servers


class Suite(blackbox.Suite):
    cli_timeout = 60

    def __init__(self, lith, directory, processes):
        super().__init__(lith, directory, processes)
        self.cert, self.key = self.make_certificate()

    def make_certificate(self):
        """One certificate for `localhost` for every SMTP server of the run, so
        that a server started (or restarted) after Lith is still trusted."""
        cert = os.path.join(self.dir, "smtp-cert.pem")
        key = os.path.join(self.dir, "smtp-key.pem")
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "2",
             "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
        return cert, key

    def email(self, label, domain="example.com"):
        return f"{label}-{self.run_id}@{domain}"

    def smtp_url(self, port, user=SMTP_USER, password=SMTP_PASSWORD):
        return f"smtp://{user}:{password}@localhost:{port}?cafile={self.cert}"

    def mail_queue(self, database):
        """`lith mail queue`: (exit status, [row dicts], raw output)."""
        status, out, err = self.cli(["mail", "queue", "--database", database])
        rows = []
        for line in out.splitlines():
            fields = line.split("\t")
            if len(fields) < 7 or fields[0] == "id":
                continue
            rows.append(dict(id=fields[0], status=fields[1], to=fields[2], attempts=fields[3], queued=fields[4],
                             next=fields[5], error="\t".join(fields[6:])))
        return status, rows, (out + err).strip()

    def create_user(self, address, database, password=PASSWORD):
        return self.cli(["user", "create", "--email", address, "--database", database, "--scrypt", SCRYPT,
                         "--allow-weak-scrypt-for-tests"], stdin_text=password + "\n")

    def user_list(self, database):
        """`lith user list`: {email: its tab-separated fields}; raises on a non-zero exit."""
        status, out, err = self.cli(["user", "list", "--database", database])
        if status != 0:
            raise AssertionError(f"lith user list exited {status}: {err.strip()[:200]}")
        return {fields[1].lower(): fields for fields in (line.split("\t") for line in out.splitlines()) if len(fields) >= 2}

    def confirmed(self, database, address):
        """The 4th column of `lith user list` for `address` (an ISO date or
        'unconfirmed'), or a note saying why there is none."""
        fields = self.user_list(database).get(address.lower())
        if fields is None:
            return "<no such account>"
        return fields[3] if len(fields) >= 4 else f"<{len(fields)} columns: {fields}>"


class Server(LithServer):
    """`lith serve` with cheap hashes: its own SQLite file unless given a
    database URL, sending to the SMTP server on `smtp_port` if given."""

    def __init__(self, suite, name, extra=(), database=None, port=0, smtp_port=None, mail_from=None):
        super().__init__(suite, name, SCRYPT, database=database, port=port)
        if smtp_port is not None:
            self.args += ["--smtp-url", suite.smtp_url(smtp_port)]
        if mail_from:
            self.args += ["--mail-from", mail_from]
        self.args += list(extra)

    def start(self, timeout=60):
        return super().start(timeout)

    def log(self):
        return read(self.stderr_path)

    def log_lines(self, needle):
        return [line for line in self.log().splitlines() if needle in line]


def start_server(report, suite, name, check_name, **kwargs):
    """A started server, or None after a FAIL line saying why."""
    return start_or_fail(report, check_name, Server(suite, name, **kwargs))


# MARK: SMTP


class Mail:
    """One message as the SMTP server accepted it."""

    def __init__(self, key, raw, envelope):
        self.key = key
        self.raw = raw
        self.envelope = envelope
        self.message = email.message_from_bytes(raw, policy=email.policy.default)
        self.to = [a.lower() for a in envelope.get("to", [])]
        self.tls = envelope.get("tls")
        self.subject = str(self.message.get("Subject", ""))
        self.parts = {}
        for part in self.message.walk():
            if part.get_content_maintype() == "text" and part.get_content_type() not in self.parts:
                try:
                    self.parts[part.get_content_type()] = part.get_content()
                except (LookupError, ValueError) as error:
                    self.parts[part.get_content_type()] = f"<undecodable: {error}>"
        self.links = {kind: LINK_RE.findall(text) for kind, text in self.parts.items()}

    def links_of(self, pattern):
        """{content type: [(origin, token), …]} for another kind of link."""
        return {kind: pattern.findall(text) for kind, text in self.parts.items()}

    def link(self):
        """(origin, token) of the text part's first link, or None."""
        found = self.links.get("text/plain") or self.links.get("text/html") or []
        return found[0] if found else None

    def __repr__(self):
        return f"#{self.key} to {self.to} “{self.subject}”"


class SMTPServer:
    """scripts/smtp-server.py with STARTTLS and AUTH on the suite's certificate.
    Each start writes into a folder of its own (the server numbers messages
    from 1 again), and `mails()` reads them all."""

    def __init__(self, suite, name, port=0):
        self.suite = suite
        self.name = name
        self.port = port
        self.starts = 0
        self.dirs = []
        self.process = None

    def start(self, timeout=30):
        """Returns (ok, why)."""
        self.starts += 1
        directory = self.suite.path(f"{self.name}-smtp-{self.starts}")
        os.makedirs(directory, exist_ok=True)
        self.dirs.append(directory)
        out = directory + ".stdout"
        err = directory + ".stderr"
        self.process = self.suite.processes.spawn(
            [sys.executable, SMTP_SERVER, "--dir", directory, "--port", str(self.port), "--user", SMTP_USER,
             "--password", SMTP_PASSWORD, "--cert", self.suite.cert, "--key", self.suite.key], out, err)
        port, problem = wait_for_port(self.process, out, err, SMTP_READY_RE, "smtp-server.py", "SMTP_READY", timeout)
        if problem:
            return False, problem
        self.port = port
        return True, f"SMTP on port {self.port}"

    def stop(self):
        stop_process(self.process)

    def mails(self):
        found = []
        for index, directory in enumerate(self.dirs):
            try:
                names = sorted(os.listdir(directory))
            except FileNotFoundError:
                continue
            for name in names:
                if not name.endswith(".json"):
                    continue
                base = os.path.join(directory, name[:-5])
                try:
                    with open(base + ".json") as f:
                        envelope = json.load(f)
                    with open(base + ".eml", "rb") as f:
                        raw = f.read()
                except (OSError, ValueError):
                    continue  # still being written
                found.append(Mail(f"{index + 1}.{name[:-5]}", raw, envelope))
        return found

    def to(self, address, subject=None):
        return [m for m in self.mails() if address.lower() in m.to and (subject is None or m.subject == subject)]

    def wait(self, address, count, subject=RESET_SUBJECT, timeout=10):
        """Waits until `count` messages to `address` arrived. Returns (mails, seconds waited)."""
        started = time.monotonic()
        while True:
            mails = self.to(address, subject)
            if len(mails) >= count or time.monotonic() - started > timeout:
                return mails, time.monotonic() - started
            time.sleep(0.1)


def start_smtp(report, suite, name, check_name, port=0):
    return start_or_fail(report, check_name, SMTPServer(suite, name, port))


# MARK: HTTP


class Client(blackbox.Client):
    """blackbox.Client with this suite's password, and what a person does
    with a forgotten password."""

    def signup(self, address, password=PASSWORD):
        return super().signup(address, password)

    def forgot(self, address, fresh=True):
        """POST /password/forgot (after a GET of the form, unless `fresh` is False)."""
        if fresh or not self.token:
            self.get("/password/forgot")
        return self.post("/password/forgot", {"email": address})

    def open_link(self, token):
        """What a browser does with a mailed link: GET it and follow a 303 to
        /password/reset. Returns (first answer, the followed one or None)."""
        first = self.get(f"/password/reset/{token}")
        if first.status in (302, 303) and first.header("Location") == "/password/reset":
            return first, self.get("/password/reset")
        return first, None

    def set_password(self, password):
        return self.post("/password/reset", {"password": password, "password_confirmation": password})


def logs_in(port, address, password):
    """Whether a fresh client logs in with this password: True, False (422
    'Invalid email or password.') or the unexpected answer."""
    response = Client(port).login(address, password)
    if signed_in(response):
        return True
    if response.status == 422 and response.form_error() == INVALID:
        return False
    return response


def sent_page(response):
    return response.status == 200 and response.flash() == SENT_SENTENCE


def refused_page(response):
    """A 410 with the sentence and the forgot form."""
    return (response is not None and response.status == 410 and response.form_error() == EXPIRED_SENTENCE
            and FORGOT_FORM in response.text)


def reset_form(response):
    return (response is not None and response.status == 200 and 'action="/password/reset"' in response.text
            and 'name="password"' in response.text and 'name="password_confirmation"' in response.text)


def to_login(response):
    return response is not None and response.status in (302, 303) and (response.header("Location") or "").startswith("/login")


def first_difference(a, b):
    at = next((i for i, (p, q) in enumerate(zip(a, b)) if p != q), min(len(a), len(b)))
    return f"at character {at}: {a[max(0, at - 40):at + 40]!r} vs {b[max(0, at - 40):at + 40]!r}"


def short(text, limit=160):
    text = " | ".join(text.strip().splitlines())
    return text if len(text) <= limit else text[:limit] + "…"


# MARK: 1. forgot password end to end


def check_forgot_end_to_end(report, suite):
    name = "1. forgot password over SMTP"
    with_servers(report, suite, "e2e", name, lambda smtp, server: forgot_end_to_end(report, suite, name, smtp, server),
                 mail_from=MAIL_FROM)


def forgot_end_to_end(report, suite, name, smtp, server):
    port = server.port
    address = suite.email("e2e")
    first = Client(port)
    signed_up = first.signup(address)
    second = Client(port)
    second_login = second.login(address, PASSWORD)
    second_before = second.get("/account")
    guest = Client(port)
    login_page = guest.get("/login")
    has_link = '<a href="/password/forgot">Forgot your password?</a>' in login_page.text
    form = guest.get("/password/forgot")
    form_ok = form.status == 200 and 'action="/password/forgot"' in form.text and 'name="email"' in form.text
    requested_at = time.monotonic()
    answer = guest.forgot(address, fresh=False)
    ok = (signed_in(signed_up) and signed_in(second_login) and second_before.status == 200 and has_link and form_ok
          and sent_page(answer))
    report.check(f"{name}: asking for a link", ok,
                 f"signup {signed_up}, second client's login {second_login} (/account {second_before.status}); "
                 f"/login {'links' if has_link else 'does NOT link'} to /password/forgot; GET /password/forgot "
                 f"{form.status}{'' if form_ok else ' without the form'}; POST /password/forgot → {answer.status} "
                 f"“{answer.flash()}”")
    if not ok:
        return

    mails, waited = smtp.wait(address, 1, timeout=10)
    if not mails:
        report.check(f"{name}: the message", False,
                     f"nothing for {address} at the SMTP server within 10 s; lith log: {tail(server.stderr_path, 3)}")
        return
    mail = mails[0]
    waited = time.monotonic() - requested_at
    msg = mail.message
    raw_head = mail.raw.split(b"\r\n\r\n", 1)[0] if b"\r\n\r\n" in mail.raw else mail.raw.split(b"\n\n", 1)[0]
    problems = []
    for header in ("Date", "Message-ID", "From", "To", "MIME-Version", "Subject"):
        if msg.get(header) is None:
            problems.append(f"no {header}")
    if msg.get_content_type() != "multipart/alternative":
        problems.append(f"Content-Type {msg.get_content_type()}")
    if set(mail.parts) != {"text/plain", "text/html"}:
        problems.append(f"parts {sorted(mail.parts)}")
    charsets = sorted({str(p.get_content_charset()) for p in msg.walk() if p.get_content_maintype() == "text"})
    if charsets != ["utf-8"]:
        problems.append(f"charsets {charsets}")
    if mail.subject != RESET_SUBJECT:
        problems.append(f"subject {mail.subject!r}")
    if mail.tls is not True:
        problems.append(f"tls {mail.tls}")
    if mail.to != [address]:
        problems.append(f"envelope to {mail.to}")
    to_header = msg.get("To")
    to_addresses = [a.addr_spec for a in to_header.addresses] if to_header is not None else []
    if to_addresses != [address]:
        problems.append(f"To {to_addresses}")
    raw_from = re.search(rb"^From:(.*(?:\r?\n[ \t].*)*)", raw_head, re.M | re.I)
    raw_from = raw_from.group(1).decode("latin-1").strip() if raw_from else ""
    encoded = bool(re.search(r"=\?utf-8\?[bq]\?", raw_from, re.I))
    from_header = msg.get("From")
    decoded = from_header.addresses[0].display_name if from_header is not None and from_header.addresses else None
    from_addr = from_header.addresses[0].addr_spec if from_header is not None and from_header.addresses else None
    if not encoded:
        problems.append("the From name is not an RFC 2047 encoded word")
    if decoded != MAIL_FROM_NAME or from_addr != "no-reply@example.com":
        problems.append(f"From decodes to {decoded!r} <{from_addr}>")
    non_ascii_head = any(b > 127 for b in raw_head)
    if non_ascii_head:
        problems.append("8-bit bytes in the header")
    lines = re.split(rb"\r?\n", mail.raw)
    longest = max(len(line) for line in lines)
    too_long = [i + 1 for i, line in enumerate(lines) if len(line) > 78]
    if too_long:
        problems.append(f"{len(too_long)} lines over 78 characters (line {too_long[0]}: {len(lines[too_long[0] - 1])})")
    report.check(f"{name}: the message", not problems,
                 f"arrived {waited:.1f} s after the request (limit 10 s), over TLS: {mail.tls}; envelope to {mail.to}; "
                 f"“{mail.subject}”; Message-ID {msg.get('Message-ID')}; {msg.get_content_type()} with "
                 f"{', '.join(sorted(mail.parts))} ({', '.join(charsets)}); From {raw_from!r} decodes to "
                 f"{decoded!r} <{from_addr}>; longest line {longest} characters"
                 + (f" [wrong: {'; '.join(problems)}]" if problems else ""))

    text_links = mail.links.get("text/plain", [])
    html_links = mail.links.get("text/html", [])
    link = mail.link()
    expected_origin = f"http://localhost:{port}"
    link_problems = []
    if not text_links or not html_links:
        link_problems.append(f"links in text {len(text_links)}, in HTML {len(html_links)}")
    elif text_links[0] != html_links[0]:
        link_problems.append(f"text and HTML links differ: {text_links[0]} vs {html_links[0]}")
    if link and len(link[1]) != 43:
        link_problems.append(f"token of {len(link[1])} characters")
    if link and link[0] != expected_origin:
        link_problems.append(f"origin {link[0]}, not {expected_origin} (the port lith serves on)")
    report.check(f"{name}: the link in the message", link is not None and not link_problems,
                 (f"{link[0]}/password/reset/<{len(link[1])} chars> in the text part (quoted-printable decoded), "
                  f"{'the same' if text_links[:1] == html_links[:1] else 'a different one'} in the HTML part"
                  if link else "no /password/reset/ link in either part")
                 + (f" [wrong: {'; '.join(link_problems)}]" if link_problems else ""))
    if link is None:
        return
    token = link[1]
    # The server is reached at 127.0.0.1:PORT; the link's path is what matters from here on.

    browser = guest
    opened, form_page = browser.open_link(token)
    location = opened.header("Location") or ""
    cookie_line = opened.set_cookie_line(RESET_COOKIE) or ""
    cookie_value = opened.set_cookies().get(RESET_COOKIE)
    attributes = {a.strip().lower() for a in cookie_line.split(";")[1:]}
    open_problems = []
    if opened.status != 303 or location != "/password/reset":
        open_problems.append(f"answer {opened}")
    if token in location:
        open_problems.append("the token in Location")
    if (opened.header("Referrer-Policy") or "").lower() != "no-referrer":
        open_problems.append(f"Referrer-Policy {opened.header('Referrer-Policy')}")
    if not cookie_value or not {"httponly", "samesite=lax", "max-age=900"} <= attributes:
        open_problems.append(f"Set-Cookie {cookie_line!r}")
    if not reset_form(form_page):
        open_problems.append(f"GET /password/reset → {form_page}")
    weak = browser.set_password("password")
    weak_error = FIELD_ERROR_RE.search(weak.text)
    weak_error = html.unescape(weak_error.group(1)) if weak_error else None
    if weak.status != 422 or not weak_error:
        open_problems.append(f"a common password → {weak} ({weak_error!r})")
    new_password = "a new mail suite phrase 7"
    done = browser.set_password(new_password)
    login_page = browser.get("/login")
    if done.status != 303 or done.header("Location") != "/login":
        open_problems.append(f"POST /password/reset → {done}")
    if login_page.flash() != RESET_FLASH:
        open_problems.append(f"/login flash {login_page.flash()!r}")
    report.check(f"{name}: opening the link and choosing a password", not open_problems,
                 f"GET /password/reset/<token> → {opened}, Referrer-Policy {opened.header('Referrer-Policy')}, "
                 f"Set-Cookie {re.sub(re.escape(token), '<token>', cookie_line)!r}; GET /password/reset → "
                 f"{form_page.status if form_page else None}; “password” → {weak.status} “{weak_error}”; "
                 f"a good one → {done}; /login says “{login_page.flash()}”"
                 + (f" [wrong: {'; '.join(open_problems)}]" if open_problems else ""))

    second_after = second.get("/account")
    first_after = first.get("/dashboard")
    new_works = logs_in(port, address, new_password)
    old_works = logs_in(port, address, PASSWORD)
    report.check(f"{name}: every session ended, only the new password works",
                 to_login(second_after) and to_login(first_after) and new_works is True and old_works is False,
                 f"second client's /account → {second_after}, signup client's /dashboard → {first_after}; "
                 f"new password logs in: {new_works}, old password: {old_works}")

    changed, changed_wait = smtp.wait(address, 1, subject=CHANGED_SUBJECT, timeout=10)
    log = suite.audit(server.database)
    requested = events(log, "password_reset_requested", address)
    reset = events(log, "password_reset", address)
    report.check(f"{name}: the “was changed” mail and the security log",
                 len(changed) == 1 and changed[0].tls is True and not changed[0].links.get("text/plain")
                 and len(requested) == 1 and len(reset) == 1,
                 (f"“{changed[0].subject}” arrived over TLS: {changed[0].tls}, "
                  f"{'no' if not changed[0].links.get('text/plain') else 'a'} reset link in it"
                  if changed else f"no “{CHANGED_SUBJECT}” within {changed_wait:.0f} s")
                 + f"; security log: {len(requested)} password_reset_requested, {len(reset)} password_reset for {address}")


# MARK: 2. existing vs unknown address


def check_same_answer(report, suite, count=60):
    name = "2. existing and unknown addresses"
    smtp = start_smtp(report, suite, "same", name)
    if not smtp:
        return
    server = start_server(report, suite, "same", name, smtp_port=smtp.port, extra=["--throttle", RESET_THROTTLE])
    if not server:
        smtp.stop()
        return
    try:
        existing, unknown = suite.email("exists"), suite.email("nobody")
        signed_up = Client(server.port).signup(existing)
        if signed_up.status != 303:
            report.check(name, False, f"could not sign up: {signed_up}")
            return
        a, b = Client(server.port), Client(server.port)
        x, y = a.forgot(existing), b.forgot(unknown)
        same_body = normalise(x.text, existing) == normalise(y.text, unknown)
        report.check(f"{name}: the same answer", x.status == y.status == 200 and same_body and sent_page(x),
                     f"existing → {x.status} “{x.flash()}”, unknown → {y.status} “{y.flash()}”; pages "
                     + ("identical apart from the email and CSRF token" if same_body
                        else f"differ {first_difference(normalise(x.text, existing), normalise(y.text, unknown))}"))

        client = Client(server.port)
        client.get("/password/forgot")
        times = {existing: [], unknown: []}
        unexpected = []
        for _ in range(count):
            for address in (existing, unknown):
                response = client.forgot(address, fresh=False)
                if not sent_page(response):
                    unexpected.append(f"{response.status}")
                times[address].append(response.elapsed)
        mx, my = statistics.median(times[existing]), statistics.median(times[unknown])
        spread = abs(mx - my)
        allowed = max(0.15 * min(mx, my), 0.010)
        load = os.getloadavg()[0]
        report.check(f"{name}: the same time", spread <= allowed and not unexpected,
                     f"{count} each interleaved on one connection: existing median {mx * 1000:.1f} ms "
                     f"(min {min(times[existing]) * 1000:.1f}, max {max(times[existing]) * 1000:.1f}), unknown median "
                     f"{my * 1000:.1f} ms (min {min(times[unknown]) * 1000:.1f}, max {max(times[unknown]) * 1000:.1f}); "
                     f"{spread * 1000:.1f} ms apart (allowed {allowed * 1000:.1f} ms: 15 % or 10 ms); load average "
                     f"{load:.1f} on {os.cpu_count()} cores"
                     + (f"; {len(unexpected)} answers other than the 200 page: {unexpected[:5]}" if unexpected else ""))
    finally:
        server.stop()
        smtp.stop()


# MARK: 3. refused links


def check_token_paths(report, suite):
    name = "3. refused links"
    with_servers(report, suite, "tokens", name, lambda smtp, server: token_paths(report, suite, name, smtp, server),
                 extra=["--throttle", NO_THROTTLE])


def token_paths(report, suite, name, smtp, server):
    port = server.port
    address = suite.email("tokens")
    signed_up = Client(port).signup(address)
    if signed_up.status != 303:
        report.check(name, False, f"could not sign up: {signed_up}")
        return
    state = {"password": PASSWORD, "mails": 0}

    def request_link():
        """Asks for a link; returns its token (or None) once the mail arrived."""
        answer = Client(port).forgot(address)
        state["mails"] += 1
        mails, _ = smtp.wait(address, state["mails"], timeout=10)
        if not sent_page(answer) or len(mails) < state["mails"]:
            return None, f"POST /password/forgot → {answer.status}, {len(mails)} of {state['mails']} mails arrived"
        link = mails[-1].link()
        return (link[1], "") if link else (None, f"no link in {mails[-1]}")

    def refused(label, token, browser=None):
        """Opens `token`, then POSTs a new password with whatever page came back."""
        browser = browser or Client(port)
        attempt = f"attempted phrase {label}"
        opened, followed = browser.open_link(token)
        final = followed if followed is not None else opened
        posted = browser.set_password(attempt)
        expected_works = logs_in(port, address, state["password"])
        attempt_works = logs_in(port, address, attempt)
        ok = (refused_page(final) and posted.status != 303 and expected_works is True and attempt_works is False)
        report.check(f"{name}: {label}", ok,
                     f"GET /password/reset/<token> → {opened}"
                     + (f", GET /password/reset → {followed.status}" if followed is not None else "")
                     + f" “{final.form_error()}”{'' if FORGOT_FORM in final.text else ' (no forgot form)'}; "
                     f"POST /password/reset → {posted}; the password before logs in: {expected_works}, the attempted "
                     f"one: {attempt_works}")

    first, why = request_link()
    if not first:
        report.check(name, False, f"first link: {why}")
        return
    position = 10
    tampered = first[:position] + ("A" if first[position] != "A" else "B") + first[position + 1:]
    refused("a tampered link (one character changed)", tampered)
    refused("a random 43-character token", secrets.token_urlsafe(32))

    newer, why = request_link()
    if not newer:
        report.check(name, False, f"second link: {why}")
        return
    refused("an older link after a newer one was sent", first)

    browser = Client(port)
    opened, form = browser.open_link(newer)
    state["password"] = "first new phrase for tokens"
    done = browser.set_password(state["password"])
    if not (reset_form(form) and done.status == 303 and done.header("Location") == "/login"):
        report.check(f"{name}: a link used twice", False,
                     f"the first use failed: GET → {opened}, form {form}, POST → {done}")
        return
    refused("a link used twice (again, in a fresh browser)", newer)
    refused("a link used twice (again, in the same browser)", newer, browser)

    third, why = request_link()
    if not third:
        report.check(name, False, f"third link: {why}")
        return
    owner = Client(port)
    login = owner.login(address, state["password"])
    owner.get("/account")
    changed_to = "second new phrase for tokens"
    changed = owner.post("/account/password", {"current_password": state["password"], "password": changed_to,
                                                "password_confirmation": changed_to})
    if changed.status != 303 or logs_in(port, address, changed_to) is not True:
        report.check(f"{name}: a link after a change on /account", False,
                     f"could not change the password on /account: login {login}, POST /account/password → {changed}")
        return
    state["password"] = changed_to
    refused("a link after the password was changed on /account", third)


# MARK: 4. SMTP down when the link is requested


def check_smtp_down(report, suite):
    name = "4. SMTP down at send time"
    smtp_port = free_port()
    # No confirmation mail at signup: the outbox's only row is the reset link.
    server = start_server(report, suite, "down", name, smtp_port=smtp_port, extra=["--email-verification", "off"])
    if not server:
        return
    smtp = SMTPServer(suite, "down", port=smtp_port)
    try:
        smtp_down(report, suite, name, server, smtp)
    finally:
        server.stop()
        smtp.stop()


def smtp_down(report, suite, name, server, smtp):
    address = suite.email("down")
    signed_up = Client(server.port).signup(address)
    requested_at = time.monotonic()
    answer = Client(server.port).forgot(address)
    row, rows = None, []
    while time.monotonic() - requested_at < 10:
        _, rows, _ = suite.mail_queue(server.database)
        row = next((r for r in rows if r["to"] == address), None)
        if row and row["status"] == "queued" and row["attempts"].isdigit() and int(row["attempts"]) >= 1 \
                and row["error"] not in ("", "-"):
            break
        row = None
        time.sleep(0.5)
    queued_seen = time.monotonic() - requested_at
    ok = signed_up.status == 303 and sent_page(answer) and row is not None
    report.check(f"{name}: queued with an error", ok,
                 f"signup {signed_up}, POST /password/forgot → {answer.status}; after {queued_seen:.1f} s "
                 + (f"`lith mail queue`: {row['status']}, attempts {row['attempts']}, next {row['next']}, "
                    f"error “{row['error']}”" if row else
                    f"no queued row with an attempt and an error in `lith mail queue`: {rows}")
                 + f"; log: {short(' | '.join(server.log_lines('mail:')), 300)}")
    if not ok:
        return
    up, why = smtp.start()
    started_at = time.monotonic()
    if not up:
        report.check(f"{name}: sent once the server is up", False, why)
        return
    mails, _ = smtp.wait(address, 1, timeout=max(1, requested_at + 50 - time.monotonic()))
    arrived = time.monotonic()
    _, rows, _ = suite.mail_queue(server.database)
    after = next((r for r in rows if r["to"] == address), None)
    total = arrived - requested_at
    report.check(f"{name}: sent once the server is up", len(mails) == 1 and total <= 45 and after
                 and after["status"] == "sent",
                 (f"arrived {total:.1f} s after the request (limit 45 s), {arrived - started_at:.1f} s after the SMTP "
                  f"server was started ({started_at - requested_at:.1f} s after the request)" if mails else
                  f"nothing arrived within {total:.1f} s of the request")
                 + (f"; queue: {after['status']}, attempts {after['attempts']}" if after else "; not in the queue")
                 + f"; log: {short(' | '.join(server.log_lines('mail:')[1:]), 300)}")


# MARK: 5. a refused recipient


def check_refused_recipient(report, suite):
    name = "5. a refused recipient"
    smtp = start_smtp(report, suite, "refused", name)
    if not smtp:
        return
    # No confirmation mail at signup: the refused address's only message is the reset link.
    server = start_server(report, suite, "refused", name, smtp_port=smtp.port, extra=["--email-verification", "off"])
    if not server:
        smtp.stop()
        return
    try:
        refused, normal = suite.email("refused"), suite.email("normal")
        setup = [Client(server.port).signup(refused), Client(server.port).signup(normal)]
        if not all(r.status == 303 for r in setup):
            report.check(name, False, f"could not sign up: {setup}")
            return
        requested_at = time.monotonic()
        answer = Client(server.port).forgot(refused)
        row, rows = None, []
        while time.monotonic() - requested_at < 10:
            _, rows, _ = suite.mail_queue(server.database)
            row = next((r for r in rows if r["to"] == refused), None)
            if row and row["status"] == "failed":
                break
            time.sleep(0.3)
        seen = time.monotonic() - requested_at
        given_up = server.log_lines("mail: not sent, given up")
        login = Client(server.port).get("/login")
        other = Client(server.port).forgot(normal)
        mails, waited = smtp.wait(normal, 1, timeout=10)
        none_refused = smtp.to(refused, None)
        ok = (sent_page(answer) and row is not None and row["status"] == "failed" and "550" in row["error"]
              and login.status == 200 and sent_page(other) and len(mails) == 1 and not none_refused
              and len(given_up) == 1)
        report.check(name, ok,
                     f"POST /password/forgot → {answer.status}; after {seen:.1f} s `lith mail queue`: "
                     + (f"{row['status']}, attempts {row['attempts']}, error “{row['error']}”" if row else f"{rows}")
                     + f"; log: {len(given_up)} “given up” ({short(' | '.join(given_up), 200)}); GET /login → "
                     f"{login.status}; another account's link "
                     + (f"arrived in {waited:.1f} s" if mails else "did NOT arrive within 10 s")
                     + f"; {len(none_refused)} messages delivered to the refused address")
    finally:
        server.stop()
        smtp.stop()


# MARK: 6. lith mail test, lith user reset-link


def check_cli(report, suite):
    name = "6. lith mail test"
    smtp = start_smtp(report, suite, "cli", name)
    if not smtp:
        return
    try:
        database = suite.path("cli.sqlite")
        good = suite.email("cli-good")
        url = suite.smtp_url(smtp.port)
        status, out, err = suite.cli(["mail", "test", "--to", good, "--smtp-url", url, "--database", database])
        mails, waited = smtp.wait(good, 1, subject=None, timeout=10)
        lines = out.strip().splitlines()
        report.check(f"{name}: to a good address", status == 0 and len(lines) == 1
                     and lines[0].startswith(f"Sent a test message to {good} through smtp://")
                     and SMTP_PASSWORD not in out + err and len(mails) == 1 and mails[0].tls is True,
                     f"exit {status}, stdout {lines}, stderr {short(err, 120)!r}; "
                     + (f"“{mails[0].subject}” arrived over TLS: {mails[0].tls}" if mails else "nothing arrived in 10 s"))

        wrong = "not-the-smtp-secret"
        status, out, err = suite.cli(["mail", "test", "--to", good,
                                      "--smtp-url", suite.smtp_url(smtp.port, password=wrong), "--database", database])
        lines = err.strip().splitlines()
        report.check(f"{name}: a wrong SMTP password", status == 69 and len(lines) == 1 and "535" in lines[0]
                     and lines[0].startswith("lith: the test message was not sent:") and not out.strip()
                     and wrong not in err and SMTP_PASSWORD not in err,
                     f"exit {status} (want 69), {len(lines)} stderr line(s): {lines[:3]}, stdout {out.strip()!r}"
                     + ("; the password is in the message!" if wrong in err else ""))

        refused = suite.email("refused-cli")
        status, out, err = suite.cli(["mail", "test", "--to", refused, "--smtp-url", url, "--database", database])
        lines = err.strip().splitlines()
        report.check(f"{name}: a refused recipient", status == 69 and len(lines) == 1 and "550" in lines[0],
                     f"exit {status} (want 69), {len(lines)} stderr line(s): {lines[:3]}")
    finally:
        smtp.stop()

    name = "6. lith user reset-link"
    server = start_server(report, suite, "resetlink", name)
    if not server:
        return
    try:
        address = suite.email("phone")
        signed_up = Client(server.port).signup(address)
        public = f"http://localhost:{server.port}"
        status, out, err = suite.cli(["user", "reset-link", "--email", address, "--public-url", public,
                                      "--database", server.database])
        found = LINK_RE.findall(out)
        problems = []
        if signed_up.status != 303 or status != 0 or len(found) != 1 or found[0][0] != public:
            problems.append("no link")
        token = found[0][1] if found else ""
        browser = Client(server.port)
        opened, form = browser.open_link(token) if token else (None, None)
        chosen = "chosen on the phone 8"
        done = browser.set_password(chosen) if reset_form(form) else None
        works = logs_in(server.port, address, chosen) if done is not None else None
        old = logs_in(server.port, address, PASSWORD) if done is not None else None
        report.check(f"{name}: the link works", not problems and reset_form(form) and done.status == 303
                     and done.header("Location") == "/login" and works is True and old is False,
                     f"exit {status}, stdout {short(out.replace(token, '<token>') if token else out, 200)!r}"
                     + (f", stderr {short(err, 120)!r}" if err.strip() else "")
                     + f"; in a fresh browser: GET → {opened}, GET /password/reset → {form.status if form else None}, "
                     f"POST → {done}; new password logs in: {works}, old one: {old}")

        missing = suite.path("no-such-database.sqlite")
        s66, _, e66 = suite.cli(["user", "reset-link", "--email", address, "--public-url", public, "--database", missing])
        s64, _, e64 = suite.cli(["user", "reset-link", "--email", address, "--database", server.database])
        report.check(f"{name}: exit codes", s66 == 66 and s64 == 64 and not os.path.exists(missing),
                     f"missing database file → exit {s66} ({short(e66, 120)!r}), file "
                     f"{'created!' if os.path.exists(missing) else 'not created'}; no --public-url → exit {s64} "
                     f"({short(e64, 120)!r})")
    finally:
        server.stop()


# MARK: 7. the fleet


def psql(url, sql):
    result = subprocess.run(["psql", url, "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-c", sql],
                            capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        raise AssertionError(f"psql failed: {result.stderr.strip()}")
    return result.stdout.strip()


def with_query(url, drop=(), add=()):
    parts = urllib.parse.urlsplit(url)
    query = [(k, v) for k, v in urllib.parse.parse_qsl(parts.query) if k not in drop] + list(add)
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))


def check_fleet(report, suite, database_url, accounts=30, first_wave=20):
    name = "7. fleet: two instances, one outbox"
    if not database_url:
        why = os.environ.get("MAIL_PG_ERROR") or "no --database postgres://… given"
        if os.environ.get("CI") == "true":
            report.check(name, False, f"PostgreSQL could not be started and CI=true: {why}")
        else:
            report.skip(name, f"PostgreSQL could not be started ({why}); CI is not 'true'")
        return
    plain = with_query(database_url, drop=("search_path", "application_name"))
    schema = f"lith_mail_{time.strftime('%Y%m%d%H%M%S')}_{os.getpid()}"
    psql(plain, f"CREATE SCHEMA {schema}")
    url = with_query(database_url, drop=("search_path",), add=(("search_path", schema),))
    smtp = None
    instances = []
    try:
        smtp = start_smtp(report, suite, "fleet", name)
        if not smtp:
            return
        fleet(report, suite, name, url, smtp, instances, accounts, first_wave)
    finally:
        for instance in instances:
            instance.stop()
        if smtp:
            smtp.stop()
        try:
            psql(plain, f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        except Exception as error:  # noqa: BLE001 - a leftover schema is worth a line, not a failed check
            info(f"could not drop schema {schema}: {error}")


def fleet(report, suite, name, url, smtp, instances, accounts, first_wave):
    addresses = [suite.email(f"fleet{i:02d}") for i in range(accounts)]
    created = {}

    def create(chunk):
        for address in chunk:
            created[address] = suite.create_user(address, url)

    started = time.monotonic()
    create(addresses[:1])  # migrates the fresh schema alone
    workers = [threading.Thread(target=create, args=(addresses[1 + i::4],)) for i in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    failed = {a: r for a, r in created.items() if r[0] != 0}
    if failed:
        address, (status, out, err) = next(iter(failed.items()))
        report.check(name, False, f"`lith user create` failed for {len(failed)} accounts, e.g. {address}: exit "
                                  f"{status} {short(out + err, 200)!r}")
        return
    info(f"fleet: {accounts} accounts created in {time.monotonic() - started:.1f} s")
    for label in ("a", "b"):
        instances.append(Server(suite, f"fleet-{label}", database=url, smtp_port=smtp.port,
                                extra=["--throttle", RESET_THROTTLE, "--database-pool-size", "4"]))
    results = [instance.start() for instance in instances]
    if not all(ok for ok, _ in results):
        report.check(name, False, f"instances: {[why for _, why in results]}")
        return

    answers = {}

    def request(batch):
        threads = []

        def one(index):
            instance = instances[index % 2]
            answers[addresses[index]] = (instance.name, Client(instance.port).forgot(addresses[index]))

        for index in batch:
            threads.append(threading.Thread(target=one, args=(index,)))
        for i in range(0, len(threads), 5):  # five at a time
            for t in threads[i:i + 5]:
                t.start()
            for t in threads[i:i + 5]:
                t.join()

    def arrived():
        return [m for m in smtp.mails() if m.subject == RESET_SUBJECT]

    wave_started = time.monotonic()
    request(range(first_wave))
    deadline = time.monotonic() + 30
    while len(arrived()) < first_wave and time.monotonic() < deadline:
        time.sleep(0.2)
    first_count = len(arrived())
    first_took = time.monotonic() - wave_started
    bad = [f"{a}: {who} {r.status}" for a, (who, r) in answers.items() if not sent_page(r)]
    report.check(f"{name}: {first_wave} requests over both instances", first_count == first_wave and not bad,
                 f"{first_wave} POST /password/forgot, every other one to each instance, five at a time: "
                 f"{first_wave - len(bad)} answered the sentence; {first_count} messages arrived in {first_took:.1f} s"
                 + (f"; wrong answers: {bad[:3]}" if bad else ""))

    smtp.stop()
    stopped_at = time.monotonic()
    request(range(first_wave, accounts))
    requested_took = time.monotonic() - stopped_at
    time.sleep(max(0, 5 - (time.monotonic() - stopped_at)))
    up, why = smtp.start()
    restarted_at = time.monotonic()
    if not up:
        report.check(name, False, f"SMTP restart on port {smtp.port}: {why}")
        return
    while len(arrived()) < accounts and time.monotonic() - restarted_at < 60:
        time.sleep(0.2)
    all_arrived = time.monotonic() - restarted_at
    time.sleep(3)  # anything sent twice would come now
    mails = arrived()
    message_ids = [str(m.message.get("Message-ID")) for m in mails]
    per_account = {a: 0 for a in addresses}
    strangers = []
    for m in mails:
        for to in m.to:
            if to in per_account:
                per_account[to] += 1
            else:
                strangers.append(to)
    tokens = [m.link()[1] for m in mails if m.link()]
    twice = sorted(a for a, n in per_account.items() if n > 1)
    never = sorted(a for a, n in per_account.items() if n == 0)
    bad = [f"{a}: {who} {r.status}" for a, (who, r) in answers.items() if not sent_page(r)]
    sent_by = {i.name: len(i.log_lines("mail: sent")) for i in instances}
    retries = {i.name: len(i.log_lines("mail: not sent, will retry")) for i in instances}
    _, rows, _ = suite.mail_queue(url)
    statuses = {}
    for row in rows:
        statuses[row["status"]] = statuses.get(row["status"], 0) + 1
    ok = (len(mails) == accounts and len(set(message_ids)) == len(message_ids) and not twice and not never
          and not strangers and len(set(tokens)) == len(tokens) == accounts and not bad and all_arrived <= 60)
    report.check(f"{name}: SMTP stopped for ~5 s, then {accounts} messages exactly once", ok,
                 f"SMTP stopped; {accounts - first_wave} more requests in {requested_took:.1f} s; SMTP started again "
                 f"{restarted_at - stopped_at:.1f} s after it stopped; {len(mails)} messages (want {accounts}) "
                 + (f"all arrived {all_arrived:.1f} s after the restart (limit 60 s)" if len(mails) >= accounts
                    else f"after {all_arrived:.1f} s")
                 + f" and 3 s more; {len(set(message_ids))} distinct Message-IDs, {len(set(tokens))} distinct links; "
                 f"accounts with two messages: {len(twice)}{' ' + str(twice[:3]) if twice else ''}, with none: "
                 f"{len(never)}{' ' + str(never[:3]) if never else ''}; `mail: sent` lines A {sent_by['fleet-a']}, "
                 f"B {sent_by['fleet-b']}; `will retry` lines A {retries['fleet-a']}, B {retries['fleet-b']}; "
                 f"queue: {statuses}" + (f"; wrong answers: {bad[:3]}" if bad else ""))


# MARK: 8-11 helpers


def follow(client, response):
    """What a browser shows after a redirect: the GET of its Location (a
    path on this server), or None when `response` isn't one."""
    if response is None or response.status not in (301, 302, 303, 307, 308):
        return None
    location = response.header("Location") or ""
    return client.get(location) if location.startswith("/") else None


def redirect(response):
    """`303 → /path` for a reason line."""
    return "no answer" if response is None else repr(response)


def recent_iso(text, slack=600):
    """Whether `text` is an ISO 8601 date within `slack` seconds of now."""
    if not ISO_DATE_RE.match(text or ""):
        return False
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return False
    return abs((datetime.now(timezone.utc) - when).total_seconds()) <= slack


def message_problems(mail, address, subject, from_address, message_id_domain=None):
    """What is wrong with one message's envelope and head, and a summary of it."""
    msg = mail.message
    problems = []
    for header in ("Date", "Message-ID", "From", "To", "MIME-Version", "Subject"):
        if msg.get(header) is None:
            problems.append(f"no {header}")
    if str(msg.get("MIME-Version", "")).strip() != "1.0":
        problems.append(f"MIME-Version {msg.get('MIME-Version')!r}")
    if msg.get_content_type() != "multipart/alternative":
        problems.append(f"Content-Type {msg.get_content_type()}")
    if set(mail.parts) != {"text/plain", "text/html"}:
        problems.append(f"parts {sorted(mail.parts)}")
    charsets = sorted({str(p.get_content_charset()) for p in msg.walk() if p.get_content_maintype() == "text"})
    if charsets != ["utf-8"]:
        problems.append(f"charsets {charsets}")
    if mail.subject != subject:
        problems.append(f"subject {mail.subject!r}")
    if mail.tls is not True:
        problems.append(f"tls {mail.tls}")
    if mail.to != [address.lower()]:
        problems.append(f"envelope to {mail.to}")
    to_header = msg.get("To")
    to_addresses = [a.addr_spec.lower() for a in to_header.addresses] if to_header is not None else []
    if to_addresses != [address.lower()]:
        problems.append(f"To {to_addresses}")
    from_header = msg.get("From")
    sender = from_header.addresses[0] if from_header is not None and from_header.addresses else None
    if sender is None or sender.display_name != "Lith" or sender.addr_spec != from_address:
        problems.append(f"From {str(from_header)!r}, want 'Lith <{from_address}>'")
    date_text = str(msg.get("Date", ""))
    try:
        date = email.utils.parsedate_to_datetime(date_text)
        skew = abs((datetime.now(timezone.utc) - date).total_seconds())
        if skew > 600:
            problems.append(f"Date {date_text!r} is {skew:.0f} s from now")
    except (TypeError, ValueError):
        problems.append(f"Date {date_text!r} does not parse")
    message_id = str(msg.get("Message-ID", "")).strip()
    match = re.fullmatch(r"<[^<>@\s]+@([^<>@\s]+)>", message_id)
    if not match:
        problems.append(f"Message-ID {message_id!r}")
    elif message_id_domain and match.group(1) != message_id_domain:
        problems.append(f"Message-ID domain {match.group(1)}, want {message_id_domain}")
    lines = re.split(rb"\r?\n", mail.raw)
    too_long = [i + 1 for i, line in enumerate(lines) if len(line) > 78]
    if too_long:
        problems.append(f"{len(too_long)} lines over 78 characters (line {too_long[0]})")
    summary = (f"“{mail.subject}” over TLS: {mail.tls}; envelope to {mail.to}; From {str(from_header)!r}; "
               f"To {to_addresses}; Date {date_text!r}; Message-ID {message_id}; {msg.get_content_type()} with "
               f"{', '.join(sorted(mail.parts))} ({', '.join(charsets)}); longest line "
               f"{max(len(line) for line in lines)} characters")
    return problems, summary


def one_link(mail, pattern, origin):
    """The token of the only link of `pattern` in a message (the same in both
    parts, at `origin`, 43 base64url characters), or None; and what is wrong."""
    links = mail.links_of(pattern)
    text_links, html_links = links.get("text/plain", []), links.get("text/html", [])
    problems = []
    if len(text_links) != 1 or len(html_links) != 1:
        problems.append(f"{len(text_links)} links in the text part, {len(html_links)} in the HTML part")
    elif text_links[0] != html_links[0]:
        problems.append("the text and HTML links differ")
    link = (text_links or html_links or [None])[0]
    if link and link[0] != origin:
        problems.append(f"origin {link[0]}, want {origin}")
    if link and not re.fullmatch(r"[A-Za-z0-9_-]{43}", link[1]):
        problems.append(f"token {len(link[1])} characters, not 43 base64url")
    return (link[1] if link else None), problems


def any_link(mail):
    """Every mailed-link path in any part of a message (reset, verify, change)."""
    found = []
    for text in mail.parts.values():
        found += re.findall(r"/(?:password/reset|email/verify|account/email/confirm)/[A-Za-z0-9_-]+", text)
    return found


def wrong(problems):
    return f" [wrong: {'; '.join(problems)}]" if problems else ""


def percentile(values, fraction):
    """Nearest-rank percentile of `values` (seconds)."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, math.ceil(fraction * len(ordered)) - 1))]


def tampered(token, position=10):
    return token[:position] + ("A" if token[position] != "A" else "B") + token[position + 1:]


def with_servers(report, suite, label, name, body, extra=(), **server_options):
    """Runs body(smtp, server) with an SMTP server and a `lith serve` sending
    to it (with `extra` flags and Server's `server_options`); both stopped
    afterwards."""
    smtp = start_smtp(report, suite, label, name)
    if not smtp:
        return
    server = start_server(report, suite, label, name, smtp_port=smtp.port, extra=list(extra), **server_options)
    if not server:
        smtp.stop()
        return
    try:
        body(smtp, server)
    finally:
        server.stop()
        smtp.stop()


# MARK: 8. email verification, the default mode


VERIFY_HOST = "lith-mail.test"
VERIFY_PUBLIC_URL = f"http://{VERIFY_HOST}"


def check_verification(report, suite):
    name = "8. email verification over SMTP"
    # A public URL unlike the address served on: links and From must use it.
    with_servers(report, suite, "verify", name, lambda smtp, server: verification(report, suite, name, smtp, server),
                 extra=["--public-url", VERIFY_PUBLIC_URL, "--allowed-hosts", f"{VERIFY_HOST},127.0.0.1",
                        "--throttle", NO_THROTTLE])


def verification(report, suite, name, smtp, server):
    port = server.port
    address = suite.email("verify")
    browser = Client(port)
    requested_at = time.monotonic()
    signed_up = browser.signup(address)
    dashboard = follow(browser, signed_up)
    banner = dashboard is not None and BANNER in dashboard.text
    before = suite.confirmed(server.database, address)
    ok = (signed_in(signed_up) and signed_up.header("Location") == "/dashboard" and dashboard.status == 200 and banner
          and before == "unconfirmed")
    report.check(f"{name}: signup without --email-verification signs in", ok,
                 f"POST /signup → {signed_up}, {'a session cookie' if signed_up.sets_session() else 'NO session cookie'}; "
                 f"/dashboard → {dashboard.status if dashboard else None} "
                 f"{'with' if banner else 'WITHOUT'} the “please confirm” banner; `lith user list`: {before!r}")
    if not ok:
        return

    mails, _ = smtp.wait(address, 1, subject=VERIFY_SUBJECT, timeout=10)
    if not mails:
        report.check(f"{name}: the message", False, f"no “{VERIFY_SUBJECT}” for {address} within 10 s; all mail: "
                                                    f"{smtp.mails()}; lith log: {tail(server.stderr_path, 3)}")
        return
    waited = time.monotonic() - requested_at
    mail = mails[0]
    problems, summary = message_problems(mail, address, VERIFY_SUBJECT, f"no-reply@{VERIFY_HOST}", VERIFY_HOST)
    report.check(f"{name}: the message", not problems, f"arrived {waited:.1f} s after the signup; {summary}"
                 + wrong(problems))

    token, link_problems = one_link(mail, VERIFY_RE, VERIFY_PUBLIC_URL)
    text = mail.parts.get("text/plain", "")
    if address not in text:
        link_problems.append("the address is not in the text")
    if "24 hours" not in text:
        link_problems.append("no “24 hours” in the text")
    if len(smtp.to(address)) != 1:
        link_problems.append(f"{len(smtp.to(address))} messages to the address, want 1")
    report.check(f"{name}: the link in the message", token is not None and not link_problems,
                 (f"{VERIFY_PUBLIC_URL}/email/verify/<{len(token)} chars> (the public URL, not 127.0.0.1:{port}), "
                  f"the same in both parts" if token else "no /email/verify/ link") + wrong(link_problems))
    if token is None:
        return

    opened = browser.get(f"/email/verify/{token}")
    landed = follow(browser, opened)
    after = suite.confirmed(server.database, address)
    log = suite.audit(server.database)
    verified = events(log, "email_verified")
    open_problems = []
    if opened.status != 303 or opened.header("Location") != "/dashboard":
        open_problems.append(f"answer {opened}")
    if (opened.header("Referrer-Policy") or "").lower() != "no-referrer":
        open_problems.append(f"Referrer-Policy {opened.header('Referrer-Policy')}")
    if landed is None or landed.flash() != VERIFIED_FLASH:
        open_problems.append(f"flash {landed.flash() if landed else None!r}")
    if landed is not None and BANNER in landed.text:
        open_problems.append("the banner is still on /dashboard")
    if not recent_iso(after):
        open_problems.append(f"`lith user list` says {after!r}, want today's ISO date")
    if len(verified) != 1:
        open_problems.append(f"{len(verified)} email_verified events")
    report.check(f"{name}: opening the link (signed in)", not open_problems,
                 f"GET /email/verify/<token> → {opened}, Referrer-Policy {opened.header('Referrer-Policy')}; "
                 f"{landed.status if landed else None} “{landed.flash() if landed else None}”; `lith user list`: "
                 f"{after!r}; security log: {len(verified)} email_verified" + wrong(open_problems))

    guest = Client(port)
    again = guest.get(f"/email/verify/{token}")
    again_landed = follow(guest, again)
    again_signed = browser.get(f"/email/verify/{token}")
    again_signed_landed = follow(browser, again_signed)
    after_again = suite.confirmed(server.database, address)
    verified_again = events(suite.audit(server.database), "email_verified")
    again_problems = []
    if again.status != 303 or again.header("Location") != "/login" or again.sets_session():
        again_problems.append(f"a fresh browser: {again}")
    if again_landed is None or again_landed.flash() != VERIFY_REFUSED:
        again_problems.append(f"a fresh browser's flash {again_landed.flash() if again_landed else None!r}")
    if again_signed.status != 303 or again_signed.header("Location") != "/dashboard":
        again_problems.append(f"the signed-in browser: {again_signed}")
    if again_signed_landed is None or again_signed_landed.flash() != VERIFY_REFUSED:
        again_problems.append(f"the signed-in browser's flash "
                              f"{again_signed_landed.flash() if again_signed_landed else None!r}")
    if after_again != after:
        again_problems.append(f"`lith user list` changed from {after!r} to {after_again!r}")
    if len(verified_again) != 1:
        again_problems.append(f"{len(verified_again)} email_verified events")
    report.check(f"{name}: the link a second time is refused, nothing changes", not again_problems,
                 f"a fresh browser: {again} “{again_landed.flash() if again_landed else None}”; the signed-in one: "
                 f"{again_signed} “{again_signed_landed.flash() if again_signed_landed else None}”; `lith user list` "
                 f"{after_again!r}; {len(verified_again)} email_verified" + wrong(again_problems))

    other = suite.email("verify-tamper")
    other_up = Client(port).signup(other)
    other_mails, _ = smtp.wait(other, 1, subject=VERIFY_SUBJECT, timeout=10)
    other_token, _ = one_link(other_mails[0], VERIFY_RE, VERIFY_PUBLIC_URL) if other_mails else (None, [])
    if other_up.status != 303 or not other_token:
        report.check(f"{name}: tampered and made-up tokens", False,
                     f"second account: signup {other_up}, {len(other_mails)} messages, token {bool(other_token)}")
        return
    tries = [("one character changed", tampered(other_token)), ("a random 43-character one", secrets.token_urlsafe(32)),
             ("64 hex digits", secrets.token_hex(32))]
    outcomes = []
    bad = []
    for label, attempt in tries:
        g = Client(port)
        answer = g.get(f"/email/verify/{attempt}")
        page = follow(g, answer)
        flash = page.flash() if page else None
        outcomes.append(f"{label} → {answer} “{flash}”")
        if answer.status != 303 or answer.header("Location") != "/login" or flash != VERIFY_REFUSED:
            bad.append(label)
    still = suite.confirmed(server.database, other)
    g = Client(port)
    genuine = g.get(f"/email/verify/{other_token}")
    genuine_page = follow(g, genuine)
    confirmed = suite.confirmed(server.database, other)
    ok = (not bad and still == "unconfirmed" and genuine.status == 303 and genuine.header("Location") == "/login"
          and genuine_page is not None and genuine_page.flash() == VERIFIED_FLASH and recent_iso(confirmed))
    report.check(f"{name}: tampered and made-up tokens are refused", ok,
                 f"{'; '.join(outcomes)}; the account then: {still!r}; the genuine link afterwards (a guest) → "
                 f"{genuine} “{genuine_page.flash() if genuine_page else None}”, `lith user list` {confirmed!r}"
                 + (f" [wrong: {', '.join(bad)} not refused]" if bad else ""))


# MARK: 9. --email-verification required


def check_required(report, suite):
    name = "9. --email-verification required"
    with_servers(report, suite, "required", name, lambda smtp, server: required(report, suite, name, smtp, server),
                 extra=["--email-verification", "required", "--throttle", NO_THROTTLE + ",signup-address=1000"])


def required(report, suite, name, smtp, server):
    port = server.port
    owner, newcomer, stranger = suite.email("req-owner"), suite.email("req-new"), suite.email("req-nobody")
    origin = f"http://localhost:{port}"
    first = Client(port).signup(owner)
    owner_links, _ = smtp.wait(owner, 1, subject=VERIFY_SUBJECT, timeout=10)
    if first.status != 200 or not owner_links or suite.confirmed(server.database, owner) != "unconfirmed":
        report.check(name, False, f"registering {owner}: POST /signup → {first}, {len(owner_links)} confirmation "
                                  f"mails, `lith user list` {suite.confirmed(server.database, owner)!r}")
        return

    a, b = Client(port), Client(port)
    x, y = a.signup(newcomer), b.signup(owner)
    nx, ny = normalise(x.text, newcomer), normalise(y.text, owner)
    same = nx == ny
    x_cookies, y_cookies = sorted(x.set_cookies()), sorted(y.set_cookies())
    dash_a = a.get("/dashboard")
    problems = []
    if not (x.status == y.status == 200):
        problems.append(f"statuses {x.status} and {y.status}")
    if CHECK_INBOX not in x.text:
        problems.append("no “Check your inbox” heading")
    if not same:
        problems.append(f"pages differ {first_difference(nx, ny)}")
    if x.sets_session() or y.sets_session():
        problems.append("a session cookie was set")
    if x_cookies != y_cookies:
        problems.append(f"Set-Cookie names {x_cookies} vs {y_cookies}")
    if not to_login(dash_a):
        problems.append(f"/dashboard after signup → {dash_a}")
    report.check(f"{name}: signup answers the same for a new and a registered address", not problems,
                 f"new → {x.status} ({len(x.body)} bytes), registered → {y.status} ({len(y.body)} bytes); pages "
                 + ("identical apart from the typed address and CSRF token" if same else "DIFFER")
                 + f"; Set-Cookie names {x_cookies} / {y_cookies}; /dashboard afterwards → {dash_a}" + wrong(problems))

    new_links, _ = smtp.wait(newcomer, 1, subject=VERIFY_SUBJECT, timeout=10)
    attempts, _ = smtp.wait(owner, 1, subject=ATTEMPT_SUBJECT, timeout=10)
    time.sleep(1)  # anything else on its way comes now
    owner_mail = smtp.to(owner)
    problems = []
    token, link_problems = one_link(new_links[0], VERIFY_RE, origin) if new_links else (None, ["no message"])
    problems += [f"the newcomer's link: {p}" for p in link_problems]
    if len(attempts) != 1:
        problems.append(f"{len(attempts)} “{ATTEMPT_SUBJECT}” messages to the owner")
    else:
        attempt = attempts[0]
        if not all(ATTEMPT_SENTENCE in text for text in attempt.parts.values()) or len(attempt.parts) != 2:
            problems.append(f"“{ATTEMPT_SENTENCE}” not in both parts")
        if any_link(attempt) or "/email/verify" in attempt.raw.decode("latin-1"):
            problems.append(f"a link in it: {any_link(attempt)}")
        if attempt.tls is not True:
            problems.append("not over TLS")
    if len(owner_mail) != 2:
        problems.append(f"{len(owner_mail)} messages to the owner in all, want 2 (the first link and the notice): "
                        f"{owner_mail}")
    report.check(f"{name}: the newcomer gets a link, the owner “{ATTEMPT_SUBJECT}” without one", not problems,
                 f"newcomer: {len(new_links)} “{VERIFY_SUBJECT}” "
                 + (f"with {origin}/email/verify/<{len(token)} chars>" if token else "without a link")
                 + f"; owner: {len(attempts)} “{ATTEMPT_SUBJECT}”"
                 + (f" saying “{short(attempts[0].parts.get('text/plain', ''), 90)}”, links in it: "
                    f"{any_link(attempts[0])}" if attempts else "") + f"; {len(owner_mail)} messages to the owner"
                 + wrong(problems))
    if token is None:
        return

    wrong_password = Client(port).login(newcomer, "not the password at all 9")
    early_browser = Client(port)
    early = early_browser.login(newcomer, PASSWORD)
    early_dashboard = early_browser.get("/dashboard")
    problems = []
    if wrong_password.status != 422 or wrong_password.form_error() != INVALID:
        problems.append(f"a wrong password → {wrong_password} {wrong_password.form_error()!r}")
    if early.status != 403 or not (early.form_error() or "").startswith(UNVERIFIED):
        problems.append(f"the right password → {early} {early.form_error()!r}")
    if early.sets_session() or not to_login(early_dashboard):
        problems.append(f"signed in anyway (/dashboard → {early_dashboard})")
    if 'action="/email/verify/resend"' not in early.text:
        problems.append("no resend form on the 403 page")
    report.check(f"{name}: login before confirming → 403", not problems,
                 f"wrong password → {wrong_password} “{wrong_password.form_error()}”; right password → {early} "
                 f"“{early.form_error()}”, /dashboard → {early_dashboard}" + wrong(problems))

    # "Send a new confirmation link" on that 403 page, and the same form for an unknown address.
    resent = early_browser.post("/email/verify/resend", {"email": newcomer})
    resent_page = follow(early_browser, resent)
    guest = Client(port)
    guest.get("/login")
    unknown = guest.post("/email/verify/resend", {"email": stranger})
    unknown_page = follow(guest, unknown)
    new_links, _ = smtp.wait(newcomer, 2, subject=VERIFY_SUBJECT, timeout=10)
    time.sleep(1)
    to_stranger = smtp.to(stranger)
    second = one_link(new_links[1], VERIFY_RE, origin)[0] if len(new_links) >= 2 else None
    problems = []
    for label, answer, page in (("the unconfirmed account", resent, resent_page), ("an unknown address", unknown,
                                                                                  unknown_page)):
        if answer.status != 303 or answer.header("Location") != "/login":
            problems.append(f"{label} → {answer}")
        if page is None or page.flash() != RESENT_FLASH:
            problems.append(f"{label}: flash {page.flash() if page else None!r}")
        if answer.elapsed < 0.249:
            problems.append(f"{label} answered in {answer.elapsed * 1000:.0f} ms, under the 250 ms padding")
    if second is None or second == token:
        problems.append(f"{len(new_links)} links to the newcomer, want a second, new one")
    if to_stranger:
        problems.append(f"{len(to_stranger)} messages to the unknown address")
    report.check(f"{name}: resend from the login page", not problems,
                 f"unconfirmed account → {resent} in {resent.elapsed * 1000:.0f} ms “{resent_page.flash() if resent_page else None}”; "
                 f"unknown → {unknown} in {unknown.elapsed * 1000:.0f} ms “{unknown_page.flash() if unknown_page else None}”; "
                 f"{len(new_links)} confirmation mails to the newcomer, {len(to_stranger)} to the unknown address"
                 + wrong(problems))
    if second is None:
        return

    g = Client(port)
    stale = g.get(f"/email/verify/{token}")
    stale_page = follow(g, stale)
    still = suite.confirmed(server.database, newcomer)
    g = Client(port)
    opened = g.get(f"/email/verify/{second}")
    opened_page = follow(g, opened)
    confirmed = suite.confirmed(server.database, newcomer)
    login = Client(port).login(newcomer, PASSWORD)
    problems = []
    if stale.status != 303 or stale_page is None or stale_page.flash() != VERIFY_REFUSED or still != "unconfirmed":
        problems.append(f"the first link after a resend: {stale} {stale_page.flash() if stale_page else None!r}, "
                        f"account {still!r}")
    if opened.status != 303 or opened.header("Location") != "/login" or opened_page is None \
            or opened_page.flash() != VERIFIED_FLASH or opened.sets_session():
        problems.append(f"the new link → {opened} {opened_page.flash() if opened_page else None!r}")
    if not recent_iso(confirmed):
        problems.append(f"`lith user list` {confirmed!r}")
    if not signed_in(login):
        problems.append(f"login afterwards → {login} {login.form_error()!r}")
    report.check(f"{name}: after the link, login → 303", not problems,
                 f"the first link (replaced by the resend) → {stale} “{stale_page.flash() if stale_page else None}”; "
                 f"the new one → {opened} “{opened_page.flash() if opened_page else None}”; `lith user list` "
                 f"{confirmed!r}; POST /login → {login}{' with a session' if login.sets_session() else ''}"
                 + wrong(problems))


# MARK: 10. email change


def check_email_change(report, suite):
    name = "10. email change over SMTP"
    with_servers(report, suite, "change", name, lambda smtp, server: email_change(report, suite, name, smtp, server),
                 extra=["--throttle", NO_THROTTLE])


def email_change(report, suite, name, smtp, server):
    port = server.port
    origin = f"http://localhost:{port}"
    owner, new, taken = suite.email("mover"), suite.email("moved-to"), suite.email("taken")
    browser = Client(port)
    up = browser.signup(owner)
    taken_up = Client(port).signup(taken)
    owner_links, _ = smtp.wait(owner, 1, subject=VERIFY_SUBJECT, timeout=10)
    taken_links, _ = smtp.wait(taken, 1, subject=VERIFY_SUBJECT, timeout=10)
    owner_verify = one_link(owner_links[0], VERIFY_RE, origin)[0] if owner_links else None
    account = browser.get("/account")
    if not (signed_in(up) and signed_in(taken_up) and owner_verify and taken_links and account.status == 200
            and 'action="/account/email"' in account.text):
        report.check(name, False, f"setup: signups {up} and {taken_up}, {len(owner_links)} + {len(taken_links)} "
                                  f"confirmation mails, /account → {account.status}")
        return

    bad_password = browser.post("/account/email", {"email": new, "current_password": "not the password 10"})
    taken_answer = browser.post("/account/email", {"email": taken, "current_password": PASSWORD})
    taken_page = follow(browser, taken_answer)
    free_answer = browser.post("/account/email", {"email": new, "current_password": PASSWORD})
    free_page = follow(browser, free_answer)
    answers = [(r.status, r.header("Location"), p.flash() if p else None)
               for r, p in ((taken_answer, taken_page), (free_answer, free_page))]
    problems = []
    if bad_password.status != 422:
        problems.append(f"a wrong current password → {bad_password}")
    if answers[1] != (303, "/account", CHANGE_SENT_FLASH):
        problems.append(f"a free address → {answers[1]}")
    if answers[0] != answers[1]:
        problems.append(f"a taken address → {answers[0]}, a free one → {answers[1]}")
    report.check(f"{name}: asking for a change, a free and a taken address answered alike", not problems,
                 f"wrong current password → {bad_password}; taken address → {taken_answer}, “{answers[0][2]}”; free "
                 f"address → {free_answer}, “{answers[1][2]}”" + wrong(problems))

    link_mails, _ = smtp.wait(new, 1, subject=CHANGE_SUBJECT, timeout=10)
    notices, _ = smtp.wait(owner, 2, subject=NOTICE_SUBJECT, timeout=10)
    time.sleep(1)  # anything else on its way comes now
    to_new, to_taken, to_owner = smtp.to(new), smtp.to(taken), smtp.to(owner)
    token, link_problems = one_link(link_mails[0], CONFIRM_RE, origin) if link_mails else (None, ["no message"])
    problems = [f"the link: {p}" for p in link_problems]
    if link_mails:
        header_problems, _ = message_problems(link_mails[0], new, CHANGE_SUBJECT, "no-reply@lith.localhost")
        problems += [f"the link's message: {p}" for p in header_problems]
    if len(to_new) != 1:
        problems.append(f"{len(to_new)} messages to the new address, want 1: {to_new}")
    if [m.subject for m in to_taken] != [VERIFY_SUBJECT]:
        problems.append(f"the taken address got {to_taken} (want only its own signup's confirmation)")
    if len(notices) != 2:
        problems.append(f"{len(notices)} “{NOTICE_SUBJECT}” notices to the old address, want 2 (one per request)")
    for notice in notices:
        if any_link(notice) or "confirm/" in notice.raw.decode("latin-1"):
            problems.append(f"a link in the notice {notice}: {any_link(notice)}")
        if notice.parts.get("text/plain", "").count("http") != 0:
            problems.append(f"“http” in the notice's text part")
    mentioned = sorted(a for a in (new, taken) if any(a in n.parts.get("text/plain", "") for n in notices))
    if mentioned != sorted([new, taken]):
        problems.append(f"the notices name {mentioned}")
    if len(to_owner) != 3:
        problems.append(f"{len(to_owner)} messages to the old address in all, want 3 (confirmation and 2 notices)")
    report.check(f"{name}: a link to the new address only, a notice without one to the old", not problems,
                 f"new address: {[m.subject for m in to_new]}"
                 + (f" with {origin}/account/email/confirm/<{len(token)} chars>" if token else "")
                 + f"; old address: {[m.subject for m in to_owner]}, links in the notices: "
                 f"{[any_link(n) for n in notices]}; taken address: {[m.subject for m in to_taken]}" + wrong(problems))
    if token is None:
        return

    # A mail scanner fetching every link, then the person: GET shows a page
    # with a button and moves nothing; only its POST does.
    scanner = Client(port)
    scanned = scanner.get(f"/account/email/confirm/{token}")
    opened = browser.get(f"/account/email/confirm/{token}")
    new_before = logs_in(port, new, PASSWORD)
    users_before = suite.user_list(server.database)
    hidden = re.findall(r'<input type="hidden" name="token" value="([^"]*)">', opened.text)
    problems = []
    for label, page in (("a fresh browser", scanned), ("the signed-in one", opened)):
        if page.status != 200 or 'action="/account/email/confirm"' not in page.text \
                or html.escape(new) not in page.text:
            problems.append(f"{label}: {page}{'' if html.escape(new) in page.text else ', the new address not shown'}")
        # same-origin: the token in this page's URL never reaches another
        # site (no-referrer would make Chromium post the button with Origin: null).
        if (page.header("Referrer-Policy") or "").lower() != "same-origin":
            problems.append(f"{label}: Referrer-Policy {page.header('Referrer-Policy')}")
        if page.sets_session():
            problems.append(f"{label}: a session cookie")
    if hidden != [token]:
        problems.append(f"hidden token field {'missing' if not hidden else 'differs from the link'}")
    if new_before is not False:
        problems.append(f"the new address logs in after the GETs: {new_before}")
    if owner.lower() not in users_before or new.lower() in users_before:
        problems.append("`lith user list` changed")
    report.check(f"{name}: opening the link shows a button and moves nothing", not problems,
                 f"GET /account/email/confirm/<token> in a fresh browser → {scanned}, in the signed-in one → "
                 f"{opened} (Referrer-Policy {opened.header('Referrer-Policy')}, “Use this address” form "
                 f"{'with' if hidden == [token] else 'WITHOUT'} the token); afterwards the new address logs in: "
                 f"{new_before}; `lith user list` still has the old address: {owner.lower() in users_before}"
                 + wrong(problems))

    posted = browser.post("/account/email/confirm", {"token": token})
    landed = follow(browser, posted)
    new_after = Client(port).login(new, PASSWORD)
    old_after = Client(port).login(owner, PASSWORD)
    users = suite.user_list(server.database)
    moved = users.get(new.lower())
    log = suite.audit(server.database)
    requested, changed = events(log, "email_change_requested"), events(log, "email_changed")
    problems = []
    if posted.status != 303 or posted.header("Location") != "/account":
        problems.append(f"POST /account/email/confirm → {posted}")
    if landed is None or landed.flash() != CHANGED_FLASH or f'<dd class="email">{html.escape(new)}</dd>' not in landed.text:
        problems.append(f"/account: flash {landed.flash() if landed else None!r}, new address "
                        f"{'shown' if landed and html.escape(new) in landed.text else 'not shown'}")
    if not signed_in(new_after):
        problems.append(f"login with the new address → {new_after}")
    if old_after.status != 422 or old_after.form_error() != INVALID:
        problems.append(f"login with the old address → {old_after} {old_after.form_error()!r}")
    if owner.lower() in users or moved is None or len(moved) < 4 or not recent_iso(moved[3]):
        problems.append(f"`lith user list`: old {users.get(owner.lower())}, new {moved}")
    if len(requested) != 2 or len(changed) != 1:
        problems.append(f"security log: {len(requested)} email_change_requested (want 2), {len(changed)} email_changed")
    report.check(f"{name}: the button moves the account", not problems,
                 f"POST /account/email/confirm → {posted}; /account “{landed.flash() if landed else None}”; login "
                 f"with the new address → {new_after}, the old one → {old_after} “{old_after.form_error()}”; "
                 f"`lith user list`: {moved[1:] if moved else None}; security log: {len(requested)} "
                 f"email_change_requested, {len(changed)} email_changed" + wrong(problems))

    g = Client(port)
    again = g.get(f"/account/email/confirm/{token}")
    again_page = follow(g, again)
    g = Client(port)
    g.get("/login")
    reposted = g.post("/account/email/confirm", {"token": token})
    reposted_page = follow(g, reposted)
    g = Client(port)
    old_link = g.get(f"/email/verify/{owner_verify}")
    old_link_page = follow(g, old_link)
    after = suite.user_list(server.database).get(new.lower())
    changed_again = events(suite.audit(server.database), "email_changed")
    ok = (again.status == 303 and again.header("Location") == "/login" and again_page is not None
          and again_page.flash() == CHANGE_REFUSED and reposted.status == 303
          and reposted.header("Location") == "/login" and reposted_page is not None
          and reposted_page.flash() == CHANGE_REFUSED and old_link.status == 303 and old_link_page is not None
          and old_link_page.flash() == VERIFY_REFUSED and after == moved and len(changed_again) == 1)
    report.check(f"{name}: the used link, its button again, and the old address's signup link are refused", ok,
                 f"GET the change link again → {again} “{again_page.flash() if again_page else None}”; POST its token "
                 f"again → {reposted} “{reposted_page.flash() if reposted_page else None}”; the old address's unused "
                 f"confirmation link → {old_link} “{old_link_page.flash() if old_link_page else None}”; `lith user "
                 f"list` {'unchanged' if after == moved else f'now {after}'}; {len(changed_again)} email_changed")


# MARK: 11. forgot and resend: the same time


def check_mailed_link_timing(report, suite):
    name = "11. the same time for an unconfirmed and an unknown address"
    with_servers(report, suite, "timing", name, lambda smtp, server: mailed_link_timing(report, suite, name, smtp, server),
                 extra=["--email-verification", "required", "--throttle", MAILED_LINK_THROTTLE])


def mailed_link_timing(report, suite, name, smtp, server):
    count = int(os.environ.get("MAIL_TIMING_COUNT", "200"))
    port = server.port
    existing, unknown = suite.email("timing"), suite.email("timing-nobody")
    up = Client(port).signup(existing)
    state = suite.confirmed(server.database, existing)
    if up.status != 200 or state != "unconfirmed":
        report.check(name, False, f"signup {up}, `lith user list` {state!r}")
        return
    client = Client(port)
    client.get("/login")
    kinds = [("forgot", existing), ("forgot", unknown), ("resend", existing), ("resend", unknown)]
    times = {kind: [] for kind in kinds}
    throttled = {kind: 0 for kind in kinds}
    unexpected = []
    order = random.Random(suite.run_id)
    started = time.monotonic()
    for _ in range(count):
        round_ = list(kinds)
        order.shuffle(round_)  # no address always follows the other (a mail being sent, say)
        for kind in round_:
            endpoint, address = kind
            if endpoint == "forgot":
                response = client.post("/password/forgot", {"email": address})
                good = sent_page(response)
                held_back = response.status == 429
            else:
                response = client.post("/email/verify/resend", {"email": address})
                flash = next((v for k, v in response.set_cookies().items() if k.endswith("lith_flash")), None)
                good = (response.status == 303 and response.header("Location") == "/login"
                        and flash == "verification_sent")
                # Throttled, resend answers 303 → /login too (a form's redirect),
                # with Retry-After and another flash, at once: not a sample.
                held_back = response.status == 429 or response.header("Retry-After") is not None
                # A browser shows the flash on the page it lands on; this one
                # doesn't go there, so it drops the cookie as if it had.
                for cookie in [c for c in client.cookies if c.endswith("lith_flash")]:
                    del client.cookies[cookie]
            if held_back:
                throttled[kind] += 1
            elif not good:
                unexpected.append(f"{endpoint} {'existing' if address == existing else 'unknown'} → {response}")
            else:
                times[kind].append(response.elapsed)
    took = time.monotonic() - started
    load = os.getloadavg()[0]
    mails = smtp.mails()
    for endpoint, path in (("forgot", "POST /password/forgot"), ("resend", "POST /email/verify/resend")):
        x, y = times[(endpoint, existing)], times[(endpoint, unknown)]
        if not x or not y:
            report.check(f"{name}: {path}", False, f"samples: existing {len(x)}, unknown {len(y)}; 429s "
                                                   f"{throttled[(endpoint, existing)]} + {throttled[(endpoint, unknown)]} "
                                                   f"(or resend's throttled 303s); "
                                                   f"other answers {unexpected[:5]}")
            continue
        mx, my = statistics.median(x), statistics.median(y)
        px, py = percentile(x, 0.9), percentile(y, 0.9)
        spread = abs(mx - my)
        fastest = min(min(x), min(y))
        bad = [u for u in unexpected if u.startswith(endpoint)]
        enough = len(x) >= 0.9 * count and len(y) >= 0.9 * count
        ok = spread < 0.025 and not bad and enough and fastest >= 0.249
        report.check(f"{name}: {path}", ok,
                     f"{len(x)} existing unconfirmed / {len(y)} unknown samples (interleaved in shuffled rounds on one "
                     f"connection, {throttled[(endpoint, existing)] + throttled[(endpoint, unknown)]} throttled answers "
                     f"left out{'' if endpoint == 'forgot' else ' (303 with Retry-After)'}): "
                     f"existing median {mx * 1000:.1f} ms, p90 {px * 1000:.1f} ms; unknown median {my * 1000:.1f} ms, "
                     f"p90 {py * 1000:.1f} ms; medians {spread * 1000:.1f} ms apart (limit 25 ms); fastest "
                     f"{fastest * 1000:.1f} ms (the padding is 250 ms); load average {load:.1f} on {os.cpu_count()} "
                     f"cores; {took:.0f} s for all {4 * count} requests, {len(mails)} messages sent"
                     + (f"; {len(bad)} wrong answers: {bad[:5]}" if bad else "")
                     + ("" if enough else f"; fewer than 90 % of {count} samples"))


# MARK: main


CHECKS = range(1, 12)


def selected_checks(only):
    """The check numbers MAIL_ONLY names (comma-separated, e.g. `8,9`), or
    None when it names none that exist; every check when it is empty."""
    parts = [part.strip() for part in only.split(",") if part.strip()]
    if not parts:
        return set(CHECKS)
    wanted = {int(part) for part in parts if part.isdigit() and int(part) in CHECKS}
    return wanted if wanted and len(wanted) == len(set(parts)) else None


def run_checks(suite, report, database_url, selected=frozenset(CHECKS)):
    # Check 4 mostly waits for Lith's retry: it runs beside 1, 3, 5, 6, 8, 9
    # and 10. The stopwatches of checks 2 and 11 and the fleet run alone.
    background = None
    if 4 in selected:
        background = threading.Thread(target=guarded, args=(report, check_smtp_down, suite), daemon=True)
        background.start()
    for number, check in ((1, check_forgot_end_to_end), (3, check_token_paths), (5, check_refused_recipient),
                          (6, check_cli), (8, check_verification), (9, check_required), (10, check_email_change)):
        if number in selected:
            guarded(report, check, suite)
    if background is not None:
        background.join()
    if 2 in selected:
        guarded(report, check_same_answer, suite)
    if 11 in selected:
        guarded(report, check_mailed_link_timing, suite)
    if 7 in selected:
        guarded(report, check_fleet, suite, database_url)


def main():
    parser = argument_parser(__doc__)
    parser.add_argument("--database", default=None, help="postgres:// URL for the fleet check (a schema is made in it)")
    options = parser.parse_args()
    lith = lith_binary(parser, options)
    if options.database and not options.database.startswith(("postgres://", "postgresql://")):
        parser.error("--database must be a postgres:// URL")
    try:
        import aiosmtpd  # noqa: F401 - scripts/smtp-server.py needs it
    except ImportError:
        parser.error("aiosmtpd is missing (python3 -m pip install aiosmtpd; scripts/mail-test.sh does it)")

    selected = selected_checks(os.environ.get("MAIL_ONLY", ""))
    if selected is None:
        parser.error(f"MAIL_ONLY={os.environ['MAIL_ONLY']!r}: give check numbers from 1 to {CHECKS[-1]}, e.g. 8,9")

    # Children run in the temp dir, never the repository: a CLI's default lith.sqlite lands there.
    run = Run("mail", time_limit=int(os.environ.get("MAIL_TIME_LIMIT", "900")), children_in_directory=True)
    print(f"mail test: {lith}, logs in {run.directory}"
          + (f", only checks {','.join(map(str, sorted(selected)))}" if len(selected) < len(CHECKS) else ""), flush=True)
    run.run(lambda: run_checks(Suite(lith, run.directory, run.processes), run.report, options.database, selected))
    run.finish()


if __name__ == "__main__":
    main()
