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
whole run takes about two minutes (well under four on a loaded 2-core
machine): check 4 waits for Lith's first retry (30 s) and runs beside checks
1, 3, 5 and 6 to save that time; check 2 (a stopwatch) runs alone, and prints
the load average beside its medians.

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

Environment: LITH_BIN (the binary, default .build/debug/lith), MAIL_PIDFILE
(every process started here is appended to it, so a wrapper can clean up even
if this script is killed), MAIL_KEEP_DIR=1 (keep the temp dir with the
servers' logs, databases and messages), MAIL_TIME_LIMIT (seconds before the
whole run gives up, default 420), MAIL_PG_ERROR (why the wrapper could not
start PostgreSQL, for the SKIP line), CI (`true`: a missing PostgreSQL is a
failure, not a skip).
"""

import argparse
import email
import email.policy
import html
import json
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.parse
from urllib.parse import urlencode

HERE = os.path.dirname(os.path.abspath(__file__))
SMTP_SERVER = os.path.join(HERE, "smtp-server.py")
SCRYPT = "ln=4,r=8,p=1"
PASSWORD = "mail suite passphrase 41"
SMTP_USER = "lith-mailer"
SMTP_PASSWORD = "smtp-secret-4711"
MAIL_FROM = "Lïth Ops <no-reply@example.com>"
MAIL_FROM_NAME = "Lïth Ops"
NO_THROTTLE = ("login-pair=1000000,login-account=1000000,login-address=1000000,"
               "reset-account=1000,reset-address=1000")
RESET_THROTTLE = "reset-account=1000,reset-address=1000"
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36"
REQUEST_TIMEOUT = 20
CSRF_RE = re.compile(r'<input type="hidden" name="csrf_token" value="([^"]*)">')
SERVING_RE = re.compile(r"Lith is serving http://[^\s]+:(\d+) ")
FORM_ERROR_RE = re.compile(r'<p class="error" role="alert" id="form-error">(.*?)</p>', re.S)
FIELD_ERROR_RE = re.compile(r'<p class="field-error" id="password-error">(.*?)</p>', re.S)
FLASH_RE = re.compile(r'<p class="flash[^"]*" role="status">(.*?)</p>', re.S)
LINK_RE = re.compile(r"(https?://[^/\s\"'<>]+)/password/reset/([A-Za-z0-9_-]+)")
SESSION_COOKIE = "lith_session"
RESET_COOKIE = "lith_reset"
SENT_SENTENCE = "If an account exists for that address, we've sent a link. It works for one hour."
EXPIRED_SENTENCE = "This link has expired or has already been used. Ask for a new one below."
RESET_FLASH = "Your password has been reset. Log in with your new password."
RESET_SUBJECT = "Reset your Lith password"
CHANGED_SUBJECT = "Your Lith password was changed"
INVALID = "Invalid email or password."
FORGOT_FORM = 'action="/password/forgot"'


# MARK: output


class Report:
    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.skipped = 0
        self.lock = threading.Lock()

    def check(self, name, ok, reason):
        with self.lock:
            if ok:
                self.passed += 1
            else:
                self.failed += 1
            print(f"{'PASS' if ok else 'FAIL'}  {name}: {reason}", flush=True)
        return ok

    def skip(self, name, reason):
        with self.lock:
            self.skipped += 1
            print(f"SKIP  {name}: {reason}", flush=True)


def info(message):
    print(f"      {message}", flush=True)


# MARK: processes


class Processes:
    """Every child process, so that all of them are stopped on the way out."""

    def __init__(self, pidfile, cwd):
        self.children = []
        self.pidfile = pidfile
        self.cwd = cwd  # never the repository: a CLI's default lith.sqlite lands here, not there
        self.lock = threading.Lock()

    def spawn(self, args, stdout_path, stderr_path, stdin=subprocess.DEVNULL, **kwargs):
        with open(stdout_path, "ab") as out, open(stderr_path, "ab") as err:
            process = subprocess.Popen(args, stdin=stdin, stdout=out, stderr=err, cwd=self.cwd, **kwargs)
        with self.lock:
            self.children.append(process)
            if self.pidfile:
                with open(self.pidfile, "a") as f:
                    f.write(f"{process.pid}\n")
        return process

    def stop_all(self):
        with self.lock:
            children = list(self.children)
        for process in children:
            if process.poll() is None:
                try:
                    process.terminate()
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + 10
        for process in children:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self.pidfile:
            open(self.pidfile, "w").close()  # all reaped: nothing left for the wrapper to kill


def stop_process(process, timeout=10):
    if process and process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def child_environment():
    """The environment without LITH_* settings: only flags configure the servers here."""
    return {k: v for k, v in os.environ.items() if not k.startswith("LITH_")}


def read(path):
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace")
    except FileNotFoundError:
        return ""


def tail(path, lines=5):
    return " | ".join(read(path).strip().splitlines()[-lines:])


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Suite:
    def __init__(self, lith, directory, processes):
        self.lith = lith
        self.dir = directory
        self.processes = processes
        self.run_id = secrets.token_hex(3)
        self.counter = 0
        self.lock = threading.Lock()
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

    def path(self, name):
        return os.path.join(self.dir, name)

    def smtp_url(self, port, user=SMTP_USER, password=SMTP_PASSWORD):
        return f"smtp://{user}:{password}@localhost:{port}?cafile={self.cert}"

    def cli(self, args, stdin_text=None, timeout=60):
        """Runs `lith ARGS` to the end: (exit status, stdout, stderr). Registered
        in the pid file like the servers, so an interrupted run leaves nothing."""
        with self.lock:
            self.counter += 1
            number = self.counter
        out = self.path(f"cli-{number}.stdout")
        err = self.path(f"cli-{number}.stderr")
        process = self.processes.spawn([self.lith, *args], out, err, env=child_environment(),
                                       stdin=subprocess.PIPE if stdin_text is not None else subprocess.DEVNULL)
        try:
            if stdin_text is not None:
                process.stdin.write(stdin_text.encode())
                process.stdin.close()
            status = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            status = None
        return status, read(out), read(err)

    def audit(self, database):
        status, out, err = self.cli(["audit", "--json", "--database", database])
        if status != 0:
            raise AssertionError(f"lith audit exited {status}: {err.strip()[:200]}")
        return [json.loads(line) for line in out.splitlines() if line.strip()]

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


class Server:
    """One `lith serve`: its own SQLite file unless given a database URL."""

    def __init__(self, suite, name, extra=(), database=None, port=0, smtp_port=None, mail_from=None):
        self.suite = suite
        self.name = name
        self.database = database or suite.path(f"{name}.sqlite")
        self.stdout_path = suite.path(f"{name}.stdout")
        self.stderr_path = suite.path(f"{name}.stderr")
        self.args = [suite.lith, "serve", "--host", "127.0.0.1", "--port", str(port), "--database", self.database,
                     "--scrypt", SCRYPT, "--allow-weak-scrypt-for-tests"]
        if smtp_port is not None:
            self.args += ["--smtp-url", suite.smtp_url(smtp_port)]
        if mail_from:
            self.args += ["--mail-from", mail_from]
        self.args += list(extra)
        self.process = None
        self.port = None

    def start(self, timeout=60):
        """Starts it and waits for `Lith is serving`. Returns (ok, why)."""
        self.process = self.suite.processes.spawn(self.args, self.stdout_path, self.stderr_path, env=child_environment())
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            match = SERVING_RE.search(read(self.stdout_path))
            if match:
                self.port = int(match.group(1))
                return True, f"serving on port {self.port}"
            if self.process.poll() is not None:
                return False, f"{self.name} exited with status {self.process.returncode}: {tail(self.stderr_path)}"
            time.sleep(0.05)
        return False, f"{self.name}: no 'Lith is serving' line within {timeout} s: {tail(self.stderr_path)}"

    def stop(self):
        stop_process(self.process)

    def log(self):
        return read(self.stderr_path)

    def log_lines(self, needle):
        return [line for line in self.log().splitlines() if needle in line]


def start_server(report, suite, name, check_name, **kwargs):
    """A started server, or None after a FAIL line saying why."""
    server = Server(suite, name, **kwargs)
    up, why = server.start()
    if not up:
        report.check(check_name, False, why)
        return None
    return server


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
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            match = re.search(r"SMTP_READY port=(\d+)", read(out))
            if match:
                self.port = int(match.group(1))
                return True, f"SMTP on port {self.port}"
            if self.process.poll() is not None:
                return False, f"smtp-server.py exited with status {self.process.returncode}: {tail(err)}"
            time.sleep(0.05)
        return False, f"smtp-server.py: no SMTP_READY within {timeout} s: {tail(err)}"

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
    smtp = SMTPServer(suite, name, port)
    up, why = smtp.start()
    if not up:
        report.check(check_name, False, why)
        return None
    return smtp


# MARK: HTTP


class Response:
    def __init__(self, status, headers, body, elapsed):
        self.status = status
        self.headers = headers  # lower-cased name -> list of values
        self.body = body
        self.text = body.decode("utf-8", "replace")
        self.elapsed = elapsed  # seconds from the first byte sent to the last received

    def header(self, name):
        values = self.headers.get(name.lower())
        return values[0] if values else None

    def set_cookies(self):
        """{name: value} of every Set-Cookie (an empty value for a deletion)."""
        cookies = {}
        for line in self.headers.get("set-cookie", []):
            pair, _, attributes = line.partition(";")
            name, _, value = pair.strip().partition("=")
            deleted = re.search(r"max-age=0\b", attributes, re.I) or re.search(r"expires=[^;]*19[67]\d", attributes, re.I)
            cookies[name] = "" if deleted else value
        return cookies

    def set_cookie_line(self, name):
        for line in self.headers.get("set-cookie", []):
            if line.strip().startswith(name + "="):
                return line
        return None

    def sets_session(self):
        return any(name.endswith(SESSION_COOKIE) and value for name, value in self.set_cookies().items())

    def form_error(self):
        match = FORM_ERROR_RE.search(self.text)
        return html.unescape(match.group(1).strip()) if match else None

    def flash(self):
        match = FLASH_RE.search(self.text)
        return html.unescape(match.group(1).strip()) if match else None

    def __repr__(self):
        location = self.header("Location")
        return f"{self.status}" + (f" → {location}" if location else "")


class ClosedEarly(OSError):
    pass


class Client:
    """A browser of sorts on one keep-alive connection: its own cookie jar and
    the CSRF token of the last form it was shown."""

    def __init__(self, port):
        self.port = port
        self.host = f"127.0.0.1:{port}"
        self.cookies = {}
        self.token = None
        self.sock = None
        self.buffer = b""

    def close(self):
        if self.sock is not None:
            try:
                self.sock.close()
            except OSError:
                pass
        self.sock = None
        self.buffer = b""

    def _connect(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.settimeout(REQUEST_TIMEOUT)
        try:
            s.connect(("127.0.0.1", self.port))
        except OSError:
            s.close()
            raise
        self.sock = s
        self.buffer = b""

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ClosedEarly("connection closed before a whole response")
        self.buffer += chunk

    def _take(self, n):
        while len(self.buffer) < n:
            self._fill()
        data, self.buffer = self.buffer[:n], self.buffer[n:]
        return data

    def _line(self):
        while b"\r\n" not in self.buffer:
            self._fill()
        line, _, self.buffer = self.buffer.partition(b"\r\n")
        return line

    def _read_response(self, method):
        while b"\r\n\r\n" not in self.buffer:
            self._fill()
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers.setdefault(name.strip().lower(), []).append(value.strip())
        if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
            body = b""
        elif "chunked" in ",".join(headers.get("transfer-encoding", [])).lower():
            body = b""
            while True:
                size = int(self._line().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self._line():
                        pass
                    break
                body += self._take(size)
                self._take(2)
        elif "content-length" in headers:
            body = self._take(int(headers["content-length"][0]))
        else:
            try:
                while True:
                    self._fill()
            except ClosedEarly:
                pass
            body, self.buffer = self.buffer, b""
            headers.setdefault("connection", []).append("close")
        return status, headers, body

    def request(self, method, path, fields=None):
        body = urlencode(fields).encode() if fields is not None else b""
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}", f"User-Agent: {USER_AGENT}", "Accept: text/html"]
        if self.cookies:
            lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        if method == "POST":
            lines += ["Content-Type: application/x-www-form-urlencoded", f"Content-Length: {len(body)}"]
        data = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
        for attempt in range(2):
            reused = self.sock is not None
            if not reused:
                self._connect()
            started = time.perf_counter()
            try:
                self.sock.sendall(data)
                status, response_headers, response_body = self._read_response(method)
            except (ClosedEarly, ConnectionResetError, BrokenPipeError):
                received = bool(self.buffer)
                self.close()
                # A kept-alive connection the server had already closed: once
                # more on a new one. Anything else is the answer's fault.
                if reused and not received and attempt == 0:
                    continue
                raise
            elapsed = time.perf_counter() - started
            break
        response = Response(status, response_headers, response_body, elapsed)
        for name, value in response.set_cookies().items():
            if value:
                self.cookies[name] = value
            else:
                self.cookies.pop(name, None)
        match = CSRF_RE.search(response.text)
        if match:
            self.token = html.unescape(match.group(1))
        if "close" in ",".join(response_headers.get("connection", [])).lower():
            self.close()
        return response

    def get(self, path):
        return self.request("GET", path)

    def post(self, path, fields):
        """POSTs `fields` with the CSRF token of the last form this client was shown."""
        return self.request("POST", path, {"csrf_token": self.token or "", **fields})

    def login(self, address, password):
        self.get("/login")
        return self.post("/login", {"email": address, "password": password})

    def signup(self, address, password=PASSWORD):
        self.get("/signup")
        return self.post("/signup", {"email": address, "password": password, "password_confirmation": password})

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


def signed_in(response):
    return response is not None and response.status == 303 and response.sets_session()


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


def normalise(body, address):
    text = body.replace(html.escape(address), "EMAIL").replace(address, "EMAIL")
    return CSRF_RE.sub('<input type="hidden" name="csrf_token" value="TOKEN">', text)


def first_difference(a, b):
    at = next((i for i, (p, q) in enumerate(zip(a, b)) if p != q), min(len(a), len(b)))
    return f"at character {at}: {a[max(0, at - 40):at + 40]!r} vs {b[max(0, at - 40):at + 40]!r}"


def events(log, kind=None, address=None):
    return [e for e in log if (kind is None or e.get("event") == kind) and (address is None or e.get("email") == address)]


def short(text, limit=160):
    text = " | ".join(text.strip().splitlines())
    return text if len(text) <= limit else text[:limit] + "…"


# MARK: 1. forgot password end to end


def check_forgot_end_to_end(report, suite):
    name = "1. forgot password over SMTP"
    smtp = start_smtp(report, suite, "e2e", name)
    if not smtp:
        return
    server = start_server(report, suite, "e2e", name, smtp_port=smtp.port, mail_from=MAIL_FROM)
    if not server:
        smtp.stop()
        return
    try:
        forgot_end_to_end(report, suite, name, smtp, server)
    finally:
        server.stop()
        smtp.stop()


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
    smtp = start_smtp(report, suite, "tokens", name)
    if not smtp:
        return
    server = start_server(report, suite, "tokens", name, smtp_port=smtp.port, extra=["--throttle", NO_THROTTLE])
    if not server:
        smtp.stop()
        return
    try:
        token_paths(report, suite, name, smtp, server)
    finally:
        server.stop()
        smtp.stop()


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
    server = start_server(report, suite, "down", name, smtp_port=smtp_port)
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
    server = start_server(report, suite, "refused", name, smtp_port=smtp.port)
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


# MARK: main


def guarded(report, check, *args, **kwargs):
    """Runs one check; if it crashes, that is a failed check, and the others still run."""
    try:
        check(report, *args, **kwargs)
    except Exception as error:  # noqa: BLE001 - an unexpected error is a failed check, not the end of the run
        traceback.print_exc()
        report.check(getattr(check, "__name__", str(check)), False, f"aborted: {type(error).__name__}: {error}")


def run_checks(suite, report, database_url):
    # Check 4 mostly waits for Lith's retry: it runs beside 1, 3, 5 and 6.
    # The stopwatch of check 2 and the fleet run alone.
    background = threading.Thread(target=guarded, args=(report, check_smtp_down, suite), daemon=True)
    background.start()
    guarded(report, check_forgot_end_to_end, suite)
    guarded(report, check_token_paths, suite)
    guarded(report, check_refused_recipient, suite)
    guarded(report, check_cli, suite)
    background.join()
    guarded(report, check_same_answer, suite)
    guarded(report, check_fleet, suite, database_url)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lith", default=os.environ.get("LITH_BIN", ".build/debug/lith"), help="the lith binary")
    parser.add_argument("--database", default=None, help="postgres:// URL for the fleet check (a schema is made in it)")
    options = parser.parse_args()
    lith = os.path.abspath(options.lith)
    if not os.access(lith, os.X_OK):
        parser.error(f"no lith binary at {lith} (build it with `swift build`, or set LITH_BIN)")
    if options.database and not options.database.startswith(("postgres://", "postgresql://")):
        parser.error("--database must be a postgres:// URL")
    try:
        import aiosmtpd  # noqa: F401 - scripts/smtp-server.py needs it
    except ImportError:
        parser.error("aiosmtpd is missing (python3 -m pip install aiosmtpd; scripts/mail-test.sh does it)")

    directory = tempfile.mkdtemp(prefix="lith-mail-")
    processes = Processes(os.environ.get("MAIL_PIDFILE"), directory)
    report = Report()
    time_limit = int(os.environ.get("MAIL_TIME_LIMIT", "420"))

    def on_signal(signum, frame):
        why = f"gave up after {time_limit} s" if signum == signal.SIGALRM else f"interrupted by signal {signum}"
        print(f"mail test: {why}; stopping what it started; logs kept in {directory}", flush=True)
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGALRM, on_signal)
    signal.alarm(time_limit)
    started = time.monotonic()
    print(f"mail test: {lith}, logs in {directory}", flush=True)
    try:
        run_checks(Suite(lith, directory, processes), report, options.database)
    except Exception as error:  # noqa: BLE001 - an unexpected error is a failed check, not a traceback
        traceback.print_exc()
        report.check("mail test", False, f"aborted: {type(error).__name__}: {error}")
    finally:
        signal.alarm(0)
        processes.stop_all()
    info(f"took {time.monotonic() - started:.0f} s")
    if report.failed or os.environ.get("MAIL_KEEP_DIR"):
        info(f"logs kept in {directory}")
    else:
        shutil.rmtree(directory, ignore_errors=True)
    print(f"{report.passed} passed, {report.failed} failed", flush=True)
    sys.exit(1 if report.failed else 0)


if __name__ == "__main__":
    main()
