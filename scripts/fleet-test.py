#!/usr/bin/env python3
"""Fleet test: two `lith serve` instances on one PostgreSQL database behind an
nginx round-robin upstream, checked the way an operator would break them.

Usually run through scripts/fleet-test.sh, which starts PostgreSQL, creates a
fresh database and passes its URL here:

    python3 scripts/fleet-test.py --database postgres://... [--lith .build/debug/lith]

Every check prints PASS or FAIL with a reason; the last line is
`N passed, M failed`, and the exit status is non-zero if any check failed.

The checks, in the order they run (8-11 come before 5-7, which stop and
restart instance A and PostgreSQL under them):

  1. both instances start at the same moment on the empty database (one
     set of migrations), instance A has glibc's huge pages for scrypt
  2. a signup, then 40 dashboard GETs through nginx reach both instances
  3. logging out on A ends the session on B at once
  4. ten concurrent signups of one email over both instances: one account
  8. failed logins straight to A and to B count together: 3 on A and 2 on
     B, then the next attempt is 429 with Retry-After on B and on A, and
     `lith throttle list` shows the account
  9. the account page: a session signed up on A is "This device" on B's
     page, a session signed in on B is listed on A's, A signs it out and B
     then treats its cookie as a guest; `lith audit` has one session_revoked
 10. one security log: the events of 8 and 9, written by A and B in turn,
     are in one `lith audit --json` output in the order they happened (and
     on B's account page, newest first)
 11. the 429s of 8 (one on B, then one on A within the minute) are one
     login_throttled entry: the contract allows at most one per account
     and address a minute
  5. SIGTERM to A under load through nginx, then A restarted
  6. PostgreSQL stopped under load, then started
  7. both instances purging expired sessions every second at once

8-11 send their requests straight to an instance, never through nginx, with
a Firefox-on-Linux User-Agent to A and a Chrome-on-Windows one to B: the
security log records that summary, so it tells which instance wrote an entry.

Throttling: every client here is 127.0.0.1 (the instances trust no proxy, so
nginx is the client too), and the instances run with the default limits. All
checks together make 17 signup attempts (the 9 refused ones of check 4
count), under the default 20 an hour per address; checks that sign up more
must start the instances with `--throttle signup-address=1000`.

Environment: LITH_BIN (the binary, default .build/debug/lith), FLEET_PIDFILE
(every process started here is appended to it, so a wrapper can clean up even
if this script is killed), FLEET_KEEP_DIR=1 (keep the temp dir with the logs),
and LITH_PG_DIR / LITH_PG_PORT, passed through to scripts/postgres.sh for the
outage check.
"""

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid

import requests

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # blackbox.py, even under python3 -P
from blackbox import (CSRF_RE, SERVING_RE, Run, argument_parser, free_ports, info, lith_binary, nginx_conf,  # noqa: E402
                      read, spawn_nginx, tail)

HERE = os.path.dirname(os.path.abspath(__file__))
POSTGRES_SH = os.path.join(HERE, "postgres.sh")
SCRYPT = "ln=10,r=8,p=1"
PASSWORD = "fleet test password 1"
PURGE_FAILED = "session purge failed"
WRONG_PASSWORD = "not the fleet password"
# The browser each instance is sent requests as in checks 8-11, and the summary
# the security log and the account page show for it.
BROWSERS = {
    "a": ("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0", "Firefox on Linux"),
    "b": ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
          "Chrome on Windows"),
}
# What the account page's "Recent security activity" calls each event.
EVENT_SUMMARIES = {
    "signup": "Account created", "login_succeeded": "Signed in", "login_failed": "Failed sign-in",
    "login_throttled": "Sign-in attempts slowed down", "session_revoked": "A session was signed out",
}
ROW_RE = re.compile(r'<li class="row">(.*?)</li>', re.S)
STRONG_RE = re.compile(r"<strong>(.*?)</strong>", re.S)
MUTED_RE = re.compile(r'<span class="muted">(.*?)</span>', re.S)
SESSION_ID_RE = re.compile(r'<input type="hidden" name="session_id" value="([^"]*)">')
THIS_DEVICE = '<span class="badge">This device</span>'


# MARK: instances


class Instance:
    """One `lith serve` on a fixed port; its log files, one per start."""

    def __init__(self, name, port, fleet):
        self.name = name
        self.port = port
        self.fleet = fleet
        self.process = None
        self.logs = []
        self.base = f"http://127.0.0.1:{port}"

    def start(self):
        log = os.path.join(self.fleet.dir, f"lith-{self.name}-{len(self.logs) + 1}.log")
        self.logs.append(log)
        args = [
            self.fleet.lith, "serve", "--host", "127.0.0.1", "--port", str(self.port),
            "--database", self.fleet.database, "--scrypt", SCRYPT, "--allow-weak-scrypt-for-tests", "--purge-interval", "1s",
            "--database-pool-size", "8",
        ]
        self.process = self.fleet.processes.spawn(args, log)
        return self

    def wait_serving(self, timeout=90):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False, f"exited with status {self.process.returncode}: {tail(self.logs[-1])}"
            match = SERVING_RE.search(read(self.logs[-1]))
            if match:
                if int(match.group(1)) != self.port:
                    return False, f"serving on port {match.group(1)}, not {self.port}"
                try:
                    r = client().get(self.base + "/healthz", timeout=5)
                    if r.status_code == 200 and r.text.strip() == "ok":
                        return True, "serving, /healthz ok"
                    return False, f"/healthz answered {r.status_code} {r.text[:80]!r}"
                except requests.RequestException as error:
                    return False, f"/healthz failed: {error}"
            time.sleep(0.1)
        return False, f"no 'Lith is serving' line within {timeout} s: {tail(self.logs[-1])}"


# MARK: HTTP


def client():
    """A requests session that ignores proxy settings from the environment."""
    s = requests.Session()
    s.trust_env = False
    return s


def csrf_token(html):
    match = CSRF_RE.search(html)
    if not match:
        raise AssertionError("no csrf_token input in the page")
    return match.group(1)


def sign_up(base, email, session=None):
    """GET /signup then POST it on `base`. Returns (POST response, lith_session value or None)."""
    s = session or client()
    page = s.get(base + "/signup", timeout=10)
    if page.status_code != 200:
        raise AssertionError(f"GET /signup answered {page.status_code}")
    response = s.post(
        base + "/signup",
        data={"email": email, "password": PASSWORD, "password_confirmation": PASSWORD, "csrf_token": csrf_token(page.text)},
        headers={"Origin": base}, allow_redirects=False, timeout=15)
    return response, response.cookies.get("lith_session")


def dashboard(base, token, session=None, timeout=10):
    s = session or client()
    return s.get(base + "/dashboard", headers={"Cookie": f"lith_session={token}"}, allow_redirects=False, timeout=timeout)


def browser(instance):
    """A guest client that sends `instance`'s User-Agent (BROWSERS)."""
    s = client()
    s.headers["User-Agent"] = BROWSERS[instance.name][0]
    return s


def log_in(base, email, password, session):
    """GET /login then POST it on `base` with `session`, a guest. Returns (POST response, lith_session value or None)."""
    page = session.get(base + "/login", allow_redirects=False, timeout=10)
    if page.status_code != 200:
        raise AssertionError(f"GET /login on {base} answered {describe(page)}")
    response = session.post(
        base + "/login", data={"email": email, "password": password, "next": "", "csrf_token": csrf_token(page.text)},
        headers={"Origin": base}, allow_redirects=False, timeout=15)
    return response, response.cookies.get("lith_session")


def account_page(base, token, session=None):
    s = session or client()
    return s.get(base + "/account", headers={"Cookie": f"lith_session={token}"}, allow_redirects=False, timeout=10)


def account_sessions(html):
    """The rows of the account page's "Where you are signed in": browser, address,
    whether it is "This device", and the session_id of its Sign out form."""
    section = html.partition('id="sessions-heading"')[2].partition('id="activity-heading"')[0]
    rows = []
    for row in ROW_RE.findall(section):
        strong, muted, session_id = STRONG_RE.search(row), MUTED_RE.search(row), SESSION_ID_RE.search(row)
        rows.append({
            "browser": strong.group(1).strip() if strong else None,
            "address": muted.group(1).split(" · ")[0].strip() if muted else None,
            "current": THIS_DEVICE in row,
            "session_id": session_id.group(1) if session_id else None,
        })
    return rows


def account_events(html):
    """What the account page's "Recent security activity" lists, newest first."""
    section = html.partition('id="activity-heading"')[2].partition('id="delete-heading"')[0]
    return [what.strip() for what in STRONG_RE.findall(section)]


def says_hello(response, email):
    return response.status_code == 200 and f"Hello, <span class=\"email\">{email}!</span>" in response.text


def is_login_redirect(response):
    return response.status_code in (302, 303) and response.headers.get("Location", "").startswith("/login")


def describe(response):
    location = response.headers.get("Location")
    return f"{response.status_code}" + (f" → {location}" if location else "")


class User:
    def __init__(self, email, token):
        self.email = email
        self.token = token


# MARK: the fleet


class Fleet:
    def __init__(self, lith, database, directory, processes):
        self.lith = lith
        self.database = database
        self.dir = directory
        self.processes = processes
        port_a, port_b, port_nginx = free_ports(3)
        self.a = Instance("a", port_a, self)
        self.b = Instance("b", port_b, self)
        self.nginx_port = port_nginx
        self.nginx = f"http://127.0.0.1:{port_nginx}"
        self.nginx_process = None

    def psql(self, sql):
        result = subprocess.run(
            ["psql", self.database, "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-c", sql],
            capture_output=True, text=True, timeout=30)
        if result.returncode != 0:
            raise AssertionError(f"psql failed: {result.stderr.strip()}")
        return result.stdout.strip()

    def command(self, *args):
        """`lith ARGS --database URL`; its stdout, or AssertionError."""
        result = subprocess.run([self.lith, *args, "--database", self.database], capture_output=True, text=True, timeout=60)
        if result.returncode != 0:
            raise AssertionError(f"`lith {' '.join(args)}` exited {result.returncode}: {result.stderr.strip()[-300:]}")
        return result.stdout

    def audit(self, email=None):
        """The security log, oldest first, one dict per `lith audit --json` line."""
        args = ["audit", "--json"] + (["--email", email] if email else [])
        return [json.loads(line) for line in self.command(*args).splitlines() if line.strip()]

    def start_nginx(self):
        prefix = os.path.join(self.dir, "nginx")
        config = nginx_conf(prefix, NGINX_SERVERS.format(a=self.a.port, b=self.b.port, port=self.nginx_port))
        self.nginx_process, problem = spawn_nginx(
            self.processes, prefix, config, lambda: client().get(self.nginx + "/healthz", timeout=5).status_code == 200)
        return (False, problem) if problem else (True, "nginx up")


# nginx in front of the two instances, as docs/nginx/lith.conf but in a temp
# prefix, without TLS, with short failure timeouts so a stopped instance is
# skipped at once, and X-Upstream to see who answered.
NGINX_SERVERS = """
    upstream lith {{
        server 127.0.0.1:{a} max_fails=1 fail_timeout=2s;
        server 127.0.0.1:{b} max_fails=1 fail_timeout=2s;
        keepalive 16;
    }}

    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://lith;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_connect_timeout 2s;
            proxy_send_timeout 15s;
            proxy_read_timeout 15s;
            # A GET that fails to connect, or whose connection is closed before
            # a response, goes to the other instance. POSTs are not retried
            # (no non_idempotent): a signup must not run twice.
            proxy_next_upstream error timeout;
            proxy_next_upstream_tries 2;
            proxy_next_upstream_timeout 15s;
            add_header X-Upstream $upstream_addr always;
        }}
    }}"""


# MARK: load


class Load:
    """Threads sending requests until stopped, recording every outcome."""

    def __init__(self, threads, request):
        self.request = request  # (thread index, iteration, session) -> dict
        self.stop_event = threading.Event()
        self.results = []
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.run, args=(i,), daemon=True) for i in range(threads)]

    def run(self, index):
        s = client()
        n = 0
        while not self.stop_event.is_set():
            sent = time.monotonic()
            try:
                outcome = self.request(index, n, s)
            except requests.RequestException as error:
                outcome = {"error": f"{type(error).__name__}: {error}"}
                s = client()
            outcome["sent"] = sent
            outcome["answered"] = time.monotonic()
            with self.lock:
                self.results.append(outcome)
            n += 1

    def start(self):
        for t in self.threads:
            t.start()
        return self

    def stop(self):
        self.stop_event.set()
        for t in self.threads:
            t.join(timeout=30)
        return self.results


# MARK: the checks


def run_checks(fleet, report):
    a, b = fleet.a, fleet.b
    run_id = uuid.uuid4().hex[:8]

    def email(label):
        return f"{label}-{run_id}@fleet.example.com"

    # 1. Both instances start at the same moment on the empty database.
    barrier = threading.Barrier(2)

    def start(instance):
        barrier.wait()
        instance.start()

    starters = [threading.Thread(target=start, args=(i,)) for i in (a, b)]
    for t in starters:
        t.start()
    for t in starters:
        t.join()
    up_a, why_a = a.wait_serving()
    up_b, why_b = b.wait_serving()
    migrations = ""
    if up_a and up_b:
        try:
            migrations = fleet.psql("SELECT count(*) || ' row(s), ' || count(DISTINCT version) || ' version(s)' FROM lith_migrations")
        except AssertionError as error:
            migrations = str(error)
    report.check("1. concurrent start on an empty database", up_a and up_b,
                 f"A: {why_a}; B: {why_b}" + (f"; lith_migrations: {migrations}" if migrations else ""))
    if not (up_a and up_b):
        return
    # `lith` executes itself again at start-up with glibc's huge pages on, for
    # scrypt's working memory (Sources/lith/HugePages.swift): same PID, the
    # tunable now in its environment.
    tunables = [v for v in read(f"/proc/{a.process.pid}/environ").split("\0") if v.startswith("GLIBC_TUNABLES=")]
    on = any("glibc.malloc.hugetlb=1" in v.partition("=")[2].split(":") for v in tunables)
    report.check("huge pages for scrypt", on,
                 f"environment of instance A: {tunables or 'no GLIBC_TUNABLES'}")
    up, why = fleet.start_nginx()
    if not up:
        report.check("nginx", False, why)
        return

    # 2. Sign up through nginx, then 40 dashboard GETs through nginx.
    users = []
    try:
        s = client()
        response, token = sign_up(fleet.nginx, email("first"), session=s)
        signed_up = response.status_code == 303 and response.headers.get("Location") == "/dashboard" and token
        failures, upstreams = [], {}
        if signed_up:
            users.append(User(email("first"), token))
            for i in range(40):
                r = dashboard(fleet.nginx, token, session=s)
                upstream = r.headers.get("X-Upstream", "?")
                upstreams[upstream] = upstreams.get(upstream, 0) + 1
                if not says_hello(r, email("first")):
                    failures.append(f"#{i} {describe(r)} via {upstream}")
        served_a = sum(n for u, n in upstreams.items() if u.endswith(f":{a.port}"))
        served_b = sum(n for u, n in upstreams.items() if u.endswith(f":{b.port}"))
        report.check(
            "2. signup then 40 dashboard GETs through nginx",
            bool(signed_up) and not failures and served_a > 0 and served_b > 0,
            f"signup answered {describe(response)}" + ("" if token else " without a session cookie")
            + f"; {40 - len(failures)}/40 said Hello; A served {served_a}, B served {served_b}"
            + (f"; failures: {failures[:5]}" if failures else ""))
    except (requests.RequestException, AssertionError) as error:
        report.check("2. signup then 40 dashboard GETs through nginx", False, str(error))

    # 3. Log out on A; the same cookie on B is a guest at once.
    try:
        response, token = sign_up(fleet.nginx, email("logout"))
        if response.status_code != 303 or not token:
            raise AssertionError(f"signup answered {describe(response)}")
        before_a = dashboard(a.base, token)
        before_b = dashboard(b.base, token)
        if not (says_hello(before_a, email("logout")) and says_hello(before_b, email("logout"))):
            raise AssertionError(f"not signed in before logout: A {describe(before_a)}, B {describe(before_b)}")
        logout = client().post(
            a.base + "/logout", data={"csrf_token": csrf_token(before_a.text)},
            headers={"Cookie": f"lith_session={token}", "Origin": a.base}, allow_redirects=False, timeout=10)
        after_b = dashboard(b.base, token)
        after_a = dashboard(a.base, token)
        ok = is_login_redirect(logout) and is_login_redirect(after_b) and is_login_redirect(after_a)
        report.check("3. logout on A ends the session on B", ok,
                     f"POST /logout on A → {describe(logout)}; old cookie then on B → {describe(after_b)}, on A → {describe(after_a)}")
    except (requests.RequestException, AssertionError) as error:
        report.check("3. logout on A ends the session on B", False, str(error))

    # 4. Ten concurrent signups of one email over both instances.
    contested = email("contested")
    statuses, errors = [], []
    start_line = threading.Barrier(10)
    lock = threading.Lock()

    def contend(i):
        base = (a, b)[i % 2].base
        s = client()
        try:
            page = s.get(base + "/signup", timeout=10)
            token = csrf_token(page.text)
        except Exception as error:  # noqa: BLE001 - reported below
            with lock:
                errors.append(f"GET /signup: {error}")
            start_line.abort()
            return
        try:
            start_line.wait(timeout=30)
        except threading.BrokenBarrierError:
            return
        try:
            r = s.post(base + "/signup", data={
                "email": contested, "password": PASSWORD, "password_confirmation": PASSWORD, "csrf_token": token,
            }, headers={"Origin": base}, allow_redirects=False, timeout=30)
            with lock:
                statuses.append(r.status_code)
        except requests.RequestException as error:
            with lock:
                errors.append(f"POST /signup: {error}")

    threads = [threading.Thread(target=contend, args=(i,)) for i in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    listing = subprocess.run([fleet.lith, "user", "list", "--database", fleet.database], capture_output=True, text=True, timeout=60)
    accounts = [line for line in listing.stdout.splitlines() if line.split("\t")[1:2] == [contested]]
    tally = {code: statuses.count(code) for code in sorted(set(statuses))}
    report.check(
        "4. ten concurrent signups of one email",
        not errors and statuses.count(303) == 1 and statuses.count(422) == 9 and len(accounts) == 1 and listing.returncode == 0,
        f"statuses {tally}; `lith user list` shows {len(accounts)} account(s) for it"
        + (f" (exit {listing.returncode}: {listing.stderr.strip()[-200:]})" if listing.returncode else "")
        + (f"; errors: {errors[:3]}" if errors else ""))

    # 8-11. Throttling, the account page and the security log over both
    # instances, before 5 and 6 stop things under them.
    check_account_security(fleet, report, email)

    # 7 (first half). Expired sessions for both instances' purges to race over.
    purge_rows = 0
    purge_note = ""
    try:
        uid = fleet.psql(f"SELECT id FROM users WHERE email = '{email('first')}'")
        # Big batches, so that one instance's DELETE is still running when the
        # other's starts (both were started together and purge every second).
        for _ in range(3):
            fleet.psql(
                "INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, expires_at, idle_timeout) "
                f"SELECT md5(random()::text || g), {uid}, 1, 1, 2, 1800 FROM generate_series(1, 20000) g")
            purge_rows += 20000
            time.sleep(1.3)
        deadline = time.monotonic() + 10
        left = None
        while time.monotonic() < deadline:
            left = int(fleet.psql("SELECT count(*) FROM sessions WHERE expires_at = 2"))
            if left == 0:
                break
            time.sleep(0.5)
        purge_note = f"{purge_rows} expired sessions inserted, {left} left after the purges"
    except AssertionError as error:
        purge_note = f"could not seed expired sessions: {error}"
        left = None

    # More signed-in users for the stream and outage checks.
    for label in ("stream-1", "stream-2", "stream-3"):
        try:
            response, token = sign_up(fleet.nginx, email(label))
            if response.status_code == 303 and token:
                users.append(User(email(label), token))
        except (requests.RequestException, AssertionError):
            pass

    # 5. SIGTERM A during a stream of signed-in requests through nginx.
    if not users:
        report.check("5. SIGTERM one instance under load", False, "no signed-in users to stream with")
    else:
        check_rolling_restart(fleet, report, users)

    # 6. PostgreSQL stopped under load.
    logs_at_outage = {path: len(read(path)) for path in a.logs + b.logs}
    if users:
        check_outage(fleet, report, users)
    else:
        report.check("6. PostgreSQL outage", False, "no signed-in users")

    # 7. Purges on both instances at once: no failures while the database was up.
    failures = []
    for path, size in logs_at_outage.items():
        for line in read(path)[:size].splitlines():
            if PURGE_FAILED in line:
                failures.append(f"{os.path.basename(path)}: {line.strip()[:200]}")
    purged = {}
    for inst in (a, b):
        total = 0
        for path in inst.logs:
            for m in re.finditer(r"purged (\d+) expired sessions", read(path)):
                total += int(m.group(1))
        purged[inst.name] = total
    report.check(
        "7. concurrent session purges (--purge-interval 1s on both)",
        not failures and left == 0,
        f"{purge_note}; purged by A: {purged['a']}, by B: {purged['b']}; "
        f"{len(failures)} '{PURGE_FAILED}' line(s) while the database was up" + (f": {failures[:3]}" if failures else ""))


def check_account_security(fleet, report, email):
    """Checks 8-11. `journal` is what the security log should say, in order:
    (email, event, instance the request went to)."""
    journal = []
    throttle = check_throttle(fleet, report, email("throttle"), journal)
    sessions = check_sessions(fleet, report, email("sessions"), journal)
    check_shared_log(fleet, report, journal, sessions)
    check_throttled_once(fleet, report, email("throttle"), throttle)


def check_throttle(fleet, report, target, journal):
    """8. 3 wrong passwords on A and 2 on B (alternately), then one attempt on
    B and one on A: both 429. Returns the instances that answered 429."""
    a, b = fleet.a, fleet.b
    name = "8. failed logins on A and B count together"
    throttled = []
    try:
        response, token = sign_up(a.base, target, session=browser(a))
        if response.status_code != 303 or not token:
            raise AssertionError(f"signup on A answered {describe(response)}")
        journal += [(target, "signup", a), (target, "login_succeeded", a)]
        guests = {inst.name: browser(inst) for inst in (a, b)}
        failures, wrong = [], []
        for inst in (a, b, a, b, a):
            r, _ = log_in(inst.base, target, WRONG_PASSWORD, guests[inst.name])
            journal.append((target, "login_failed", inst))
            failures.append(f"{inst.name.upper()} {r.status_code}")
            if r.status_code != 422 or "Invalid email or password." not in r.text:
                wrong.append(f"{inst.name.upper()} {describe(r)}")
        refusals, bad = [], []
        for inst in (b, a):
            r, _ = log_in(inst.base, target, WRONG_PASSWORD, guests[inst.name])
            retry_after = r.headers.get("Retry-After", "")
            refusals.append(f"on {inst.name.upper()} {r.status_code} Retry-After {retry_after or 'none'}")
            if (r.status_code == 429 and retry_after.isdigit() and 1 <= int(retry_after) <= 30
                    and "Too many attempts for this account." in r.text and f'value="{target}"' in r.text):
                throttled.append(inst)
                if len(throttled) == 1:
                    journal.append((target, "login_throttled", inst))
            else:
                bad.append(f"{inst.name.upper()} {describe(r)} Retry-After {retry_after or 'none'}: "
                           + ("no 'Too many attempts for this account.'" if "Too many attempts" not in r.text else "form not as expected"))
        listing = fleet.command("throttle", "list")
        rows = [line for line in listing.splitlines() if target in line.split("\t")]
        listed = any(line.split("\t")[:4] == ["login_pair", target, "127.0.0.1", "5"] for line in rows)
        report.check(
            name, not wrong and not bad and listed,
            f"wrong passwords {', '.join(failures)}" + (f" (not 422 'Invalid email or password.': {wrong})" if wrong else "")
            + f"; then {', '.join(refusals)}" + (f" (not as the contract says: {bad})" if bad else "")
            + "; `lith throttle list`: " + (" | ".join(rows) if rows else f"nothing for the account: {listing.strip()[:200]!r}"))
    except (requests.RequestException, AssertionError) as error:
        report.check(name, False, str(error))
    return throttled


def check_sessions(fleet, report, target, journal):
    """9. Returns what check 10 needs: the email and the cookie of A's session (or None)."""
    a, b = fleet.a, fleet.b
    name = "9. account page lists sessions from both instances; revoking on A ends B's"
    first, second = browser(a), browser(b)
    try:
        response, token_a = sign_up(a.base, target, session=first)
        if response.status_code != 303 or not token_a:
            raise AssertionError(f"signup on A answered {describe(response)}")
        journal += [(target, "signup", a), (target, "login_succeeded", a)]
        problems = []

        # A's session on B's page: the one row, "This device".
        page = account_page(b.base, token_a, first)
        rows = account_sessions(page.text) if page.status_code == 200 else []
        on_b = [(r["browser"], r["address"], r["current"]) for r in rows]
        if on_b != [(BROWSERS["a"][1], "127.0.0.1", True)]:
            problems.append(f"B's page for A's session: {describe(page)}, rows (browser, address, This device) {on_b}")

        # A second session signed in on B, seen from A.
        response, token_b = log_in(b.base, target, PASSWORD, second)
        if response.status_code != 303 or response.headers.get("Location") != "/dashboard" or not token_b:
            raise AssertionError(f"login on B answered {describe(response)}" + ("" if token_b else " without a session cookie"))
        journal.append((target, "login_succeeded", b))
        page = account_page(a.base, token_a, first)
        rows = account_sessions(page.text) if page.status_code == 200 else []
        current = [r for r in rows if r["current"]]
        others = [r for r in rows if not r["current"]]
        on_a = [(r["browser"], r["current"], r["session_id"]) for r in rows]
        if not (len(rows) == 2 and len(current) == 1 and current[0]["browser"] == BROWSERS["a"][1] and not current[0]["session_id"]
                and len(others) == 1 and others[0]["browser"] == BROWSERS["b"][1]
                and re.fullmatch(r"[0-9a-f]{32}", others[0]["session_id"] or "")):
            raise AssertionError(f"A's page after the login on B: {describe(page)}, rows (browser, This device, session_id) {on_a}")
        revoked = others[0]["session_id"]

        # A signs B's session out; B's next request with its cookie is a guest.
        revoke = first.post(
            a.base + "/account/sessions/revoke", data={"csrf_token": csrf_token(page.text), "session_id": revoked},
            headers={"Cookie": f"lith_session={token_a}", "Origin": a.base}, allow_redirects=False, timeout=10)
        journal.append((target, "session_revoked", a))
        if revoke.status_code != 303 or revoke.headers.get("Location") != "/account":
            problems.append(f"POST /account/sessions/revoke on A answered {describe(revoke)}")
        after_b = account_page(b.base, token_b, second)
        if not (after_b.status_code == 302 and after_b.headers.get("Location", "").startswith("/login")):
            problems.append(f"B's session on B after the revoke: GET /account {describe(after_b)}")
        still_a = dashboard(b.base, token_a, first)
        if not says_hello(still_a, target):
            problems.append(f"A's session on B after the revoke: {describe(still_a)}")
        left = account_page(b.base, token_a, first)
        left_rows = [(r["browser"], r["current"]) for r in account_sessions(left.text)] if left.status_code == 200 else []
        if left_rows != [(BROWSERS["a"][1], True)]:
            problems.append(f"B's page after the revoke: {describe(left)}, rows {left_rows}")

        events = fleet.audit(target)
        revocations = [e for e in events if e.get("event") == "session_revoked"]
        logins_on_b = [e for e in events if e.get("event") == "login_succeeded" and e.get("browser") == BROWSERS["b"][1]]
        if len(revocations) != 1 or revocations[0].get("session_id") != revoked:
            problems.append(f"`lith audit` session_revoked entries: {revocations}")
        if [e.get("session_id") for e in logins_on_b] != [revoked]:
            problems.append(f"`lith audit` login_succeeded on B: {logins_on_b} (revoked session_id {revoked})")
        report.check(
            name, not problems,
            f"A's session on B's page: {on_b}; B's session on A's page: {others[0]['browser']}, session_id {revoked}; "
            f"revoke on A → {describe(revoke)}; B's cookie then on B → {describe(after_b)}; A's still on B → {describe(still_a)}; "
            f"`lith audit`: {len(revocations)} session_revoked" + (f"; problems: {problems}" if problems else ""))
        return {"email": target, "token": token_a}
    except (requests.RequestException, AssertionError) as error:
        report.check(name, False, str(error))
        return None


def check_shared_log(fleet, report, journal, sessions):
    """10. One `lith audit --json` over the whole database: the entries of 8 and
    9 in the order their requests were made, each with the browser of the
    instance it went to. login_throttled is left to 11."""
    name = "10. one security log for both instances, in order"
    try:
        emails = {entry[0] for entry in journal}
        events = [e for e in fleet.audit() if e.get("email") in emails]
        seen = [(e.get("email"), e.get("event"), e.get("browser")) for e in events if e.get("event") != "login_throttled"]
        expected = [(address, event, BROWSERS[inst.name][1]) for address, event, inst in journal if event != "login_throttled"]
        times = [e.get("time") or "" for e in events]
        addresses = sorted({e.get("ip") for e in events}, key=str)
        by = {inst: sum(1 for e in events if e.get("browser") == BROWSERS[inst][1]) for inst in ("a", "b")}
        first_difference = next((i for i, (x, y) in enumerate(zip(seen, expected)) if x != y), min(len(seen), len(expected)))
        page_ok, page_note = False, "no session from check 9"
        if sessions:
            page = account_page(fleet.b.base, sessions["token"], browser(fleet.b))
            listed = account_events(page.text) if page.status_code == 200 else []
            wanted = [EVENT_SUMMARIES[event] for address, event, _ in reversed(journal) if address == sessions["email"]]
            page_ok = listed == wanted
            page_note = f"B's account page lists {listed}" + ("" if page_ok else f", not {wanted}")
        ok = seen == expected and times == sorted(times) and addresses == ["127.0.0.1"] and by["a"] > 0 and by["b"] > 0 and page_ok
        if seen != expected:
            for e in events[:40]:
                info(f"audit: {e.get('time')} {e.get('event')} {e.get('email')} {e.get('browser')} {e.get('session_id')}")
        report.check(
            name, ok,
            f"{len(seen)}/{len(expected)} entries in order" + (
                "" if seen == expected else
                f" (from #{first_difference}: got {seen[first_difference:first_difference + 3]}, "
                f"expected {expected[first_difference:first_difference + 3]})")
            + f"; written via A: {by['a']}, via B: {by['b']}; times {'in order' if times == sorted(times) else f'out of order: {times}'}; "
            f"ip {addresses}; {page_note}")
    except (requests.RequestException, AssertionError, ValueError) as error:
        report.check(name, False, str(error))


def check_throttled_once(fleet, report, target, throttled):
    """11. Check 8's two 429s for one account and address, on B then on A
    within the minute, are at most one login_throttled entry."""
    name = "11. one login_throttled a minute per account and address across the fleet"
    if len(throttled) != 2:
        report.check(name, False, f"check 8 did not get its two 429s (only on {[i.name.upper() for i in throttled]})")
        return
    try:
        entries = [e for e in fleet.audit(target) if e.get("event") == "login_throttled"]
        report.check(
            name, len(entries) == 1 and entries[0].get("browser") == BROWSERS["b"][1],
            f"429 on B then on A, {len(entries)} login_throttled entr{'y' if len(entries) == 1 else 'ies'}: "
            + ", ".join(f"{e.get('time')} via {e.get('browser')}" for e in entries))
    except (AssertionError, ValueError) as error:
        report.check(name, False, str(error))


def check_rolling_restart(fleet, report, users):
    a, b = fleet.a, fleet.b
    name = "5. SIGTERM one instance under load, then restart it"

    def request(index, n, s):
        user = users[(index + n) % len(users)]
        r = dashboard(fleet.nginx, user.token, session=s, timeout=20)
        return {"ok": says_hello(r, user.email), "status": r.status_code, "upstream": r.headers.get("X-Upstream", "?")}

    load = Load(6, request).start()
    time.sleep(2)
    t_term = time.monotonic()
    a.process.send_signal(signal.SIGTERM)
    try:
        code = a.process.wait(timeout=20)
        stopped = f"A exited {code} {time.monotonic() - t_term:.1f} s after SIGTERM"
    except subprocess.TimeoutExpired:
        code = None
        stopped = "A still running 20 s after SIGTERM"
    time.sleep(1)
    a.start()
    up, why = a.wait_serving()
    t_back = time.monotonic()
    time.sleep(2)
    results = load.stop()

    bad = [r for r in results if not r.get("ok")]
    after = [r for r in results if r["sent"] > t_back]
    served_by_a_after = sum(1 for r in after if r.get("upstream", "").endswith(f":{a.port}"))
    retried = sum(1 for r in results if "," in r.get("upstream", ""))
    signed_in = []
    for user in users:
        for inst in (a, b):
            try:
                r = dashboard(inst.base, user.token)
                if not says_hello(r, user.email):
                    signed_in.append(f"{user.email} on {inst.name.upper()}: {describe(r)}")
            except requests.RequestException as error:
                signed_in.append(f"{user.email} on {inst.name.upper()}: {error}")
    samples = [r.get("error") or f"{r.get('status')} via {r.get('upstream')}" for r in bad[:3]]
    report.check(
        name,
        code == 0 and up and not bad and results and served_by_a_after > 0 and not signed_in,
        f"{len(results) - len(bad)}/{len(results)} requests said Hello ({retried} retried by nginx); {stopped}; "
        f"restarted A: {why}; A served {served_by_a_after} after its restart; "
        + ("all users still signed in on A and B" if not signed_in else f"not signed in: {signed_in[:3]}")
        + (f"; failures: {samples}" if bad else ""))


def check_outage(fleet, report, users):
    a, b = fleet.a, fleet.b
    name = "6. PostgreSQL stopped under load, then started"
    budget = 8.0
    state = {"down_from": None, "starting_at": None, "up_from": None}

    def signed_in_request(index, n, s):
        inst = (a, b)[(index + n) % 2]
        user = users[(index + n) % len(users)]
        r = dashboard(inst.base, user.token, session=s, timeout=budget + 2)
        return {"kind": "signed-in", "status": r.status_code, "ok": says_hello(r, user.email), "instance": inst.name,
                "retry_after": r.headers.get("Retry-After")}

    def guest_request(index, n, s):
        inst = (a, b)[n % 2]
        r = s.get(inst.base + "/login", allow_redirects=False, timeout=budget + 2)
        return {"kind": "guest", "status": r.status_code, "ok": r.status_code == 200 and "Log in" in r.text, "instance": inst.name}

    def request(index, n, s):
        time.sleep(0.05)
        return (guest_request if index == 0 else signed_in_request)(index, n, s)

    env = dict(os.environ)
    load = Load(9, request).start()
    time.sleep(1)
    stop = subprocess.run([POSTGRES_SH, "server-stop"], capture_output=True, text=True, env=env)
    state["down_from"] = time.monotonic()
    if stop.returncode != 0:
        load.stop()
        report.check(name, False, f"scripts/postgres.sh server-stop failed: {stop.stderr.strip()}")
        return
    time.sleep(10)
    # The server is surely down only until server-start is run: it accepts
    # connections a moment before `pg_ctl start -w` returns, and Lith's pool
    # reconnects on the next call, with no backoff to wait out.
    state["starting_at"] = time.monotonic()
    started = subprocess.run([POSTGRES_SH, "server-start"], capture_output=True, text=True, env=env)
    state["up_from"] = time.monotonic()
    if started.returncode != 0:
        load.stop()
        report.check(name, False, f"scripts/postgres.sh server-start failed: {started.stderr.strip()}")
        return
    recovered = {}
    deadline = state["up_from"] + 30
    while time.monotonic() < deadline and len(recovered) < 2:
        for inst in (a, b):
            if inst.name in recovered:
                continue
            try:
                if says_hello(dashboard(inst.base, users[0].token, timeout=budget + 2), users[0].email):
                    recovered[inst.name] = time.monotonic() - state["up_from"]
            except requests.RequestException:
                pass
        time.sleep(0.25)
    time.sleep(1)
    results = load.stop()

    down = [r for r in results if state["down_from"] < r["sent"] and r["answered"] < state["starting_at"]]
    signed_down = [r for r in down if r["kind"] == "signed-in"]
    guest_down = [r for r in down if r["kind"] == "guest"]
    problems = []
    for r in results:
        elapsed = r["answered"] - r["sent"]
        if "error" in r:
            problems.append(f"error after {elapsed:.1f} s: {r['error'][:120]}")
        elif r["status"] == 500 or r["status"] >= 502 and r["status"] != 503:
            problems.append(f"{r['kind']} on {r['instance'].upper()} answered {r['status']}")
        elif elapsed > budget:
            problems.append(f"{r['kind']} on {r['instance'].upper()} took {elapsed:.1f} s")
        elif r["kind"] == "guest" and not r["ok"]:
            problems.append(f"guest /login on {r['instance'].upper()} answered {r['status']}")
        elif r["kind"] == "signed-in" and not r["ok"] and r["status"] != 503:
            problems.append(f"signed-in on {r['instance'].upper()} answered {r['status']}")
    hello_while_down = [r for r in signed_down if r["ok"]]
    unavailable = [r for r in signed_down if r["status"] == 503]
    missing_retry_after = [r for r in unavailable if not r.get("retry_after")]
    slowest = max((r["answered"] - r["sent"] for r in down), default=0)
    still_signed_in = []
    for user in users:
        for inst in (a, b):
            try:
                if not says_hello(dashboard(inst.base, user.token), user.email):
                    still_signed_in.append(f"{user.email} on {inst.name.upper()}")
            except requests.RequestException as error:
                still_signed_in.append(f"{user.email} on {inst.name.upper()}: {error}")
    ok = (not problems and unavailable and not hello_while_down and guest_down and all(r["ok"] for r in guest_down)
          and len(recovered) == 2 and not still_signed_in and not missing_retry_after)
    report.check(
        name, bool(ok),
        f"while down: {len(unavailable)}/{len(signed_down)} signed-in requests got 503"
        + (f" ({len(hello_while_down)} said Hello?!)" if hello_while_down else "")
        + f", {sum(1 for r in guest_down if r['ok'])}/{len(guest_down)} guest /login got 200, slowest answer {slowest:.1f} s; "
        + "recovered " + ", ".join(f"{k.upper()} after {v:.1f} s" for k, v in sorted(recovered.items()))
        + ("" if len(recovered) == 2 else f" (not both within 30 s: {sorted(recovered)})")
        + ("; sessions survived on A and B" if not still_signed_in else f"; not signed in: {still_signed_in[:3]}")
        + (f"; {len(missing_retry_after)} 503s without Retry-After" if missing_retry_after else "")
        + (f"; problems ({len(problems)}): {problems[:4]}" if problems else ""))


def main():
    parser = argument_parser(__doc__)
    parser.add_argument("--database", default=os.environ.get("LITH_DATABASE_URL"), help="postgres:// URL of an empty database")
    options = parser.parse_args()
    if not options.database or not options.database.startswith(("postgres://", "postgresql://")):
        parser.error("--database postgres://... (or LITH_DATABASE_URL) is required")
    lith = lith_binary(parser, options)

    run = Run("fleet")
    print(f"fleet test: {lith}, logs in {run.directory}", flush=True)
    run.run(lambda: run_checks(Fleet(lith, options.database, run.directory, run.processes), run.report))
    run.finish()


if __name__ == "__main__":
    main()
