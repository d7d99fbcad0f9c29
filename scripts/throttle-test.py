#!/usr/bin/env python3
"""Throttle test: `lith serve` on temporary SQLite files, guessed at the way
an attacker guesses (one address, many addresses, many accounts), through
nginx and without it, with the operator's tools and a stopwatch.

Usually run through scripts/throttle-test.sh; directly:

    python3 scripts/throttle-test.py [--lith .build/debug/lith]

Every check prints PASS or FAIL with a reason; the last line is
`N passed, M failed`, and the exit status is non-zero if any check failed. The
whole run takes well under four minutes. Each check gets a server of its own
on a fresh SQLite file with cheap hashes (--scrypt ln=4,r=8,p=1) unless it
needs otherwise. nginx is needed for checks 3 and 9 (scripts/throttle-test.sh
installs it if missing); no PostgreSQL.

Clients come from many addresses on one machine: on Linux every 127.x.y.z is
loopback, so a client binds its socket to, say, 127.0.0.11 before connecting,
and the server (or nginx) sees that address. Each client is a raw keep-alive
connection with its own cookie jar, and posts the CSRF token of the last form
it was shown (the login form comes back with every 422 and 429).

What each check proves:
 1. One account from one address: 5 wrong passwords get 422, the 6th and
    then the right password 429 with Retry-After, the sentence, the email
    kept and no session cookie; 200 more attempts are all 429 and the
    security log still holds exactly 5 login_failed for the account (a
    refused attempt costs no hash) and a login_throttled; another account
    logs in from that address, the account itself from another address.
 2. Unknown email and existing account: throttled from the same attempt,
    with the same status, Retry-After and page (the echoed email and CSRF
    token aside).
 3. Through nginx with --trusted-proxies 127.0.0.1: a client's guesses hold
    back that client only; a client sending its own X-Forwarded-For is
    counted by its real address; /account and the security log show the
    client's 127.0.0.x, never nginx's 127.0.0.1. Without a trusted proxy, a
    client's X-Forwarded-For is ignored.
 4. Credential stuffing (--throttle login-address=40, to keep it quick): one
    address failing for 40 different emails gets 429 "from your network",
    also for an account's right password; another address is unaffected,
    and a user who had signed in from the throttled address still can.
 5. A botnet against one account (--throttle login-account=20): 20
    addresses x 1 failure, the 21st address is throttled for the account;
    the owner still logs in from the address they used before.
 6. Operator tools: `lith throttle list` names the throttled account and
    address, `lith user unlock` frees it at once, `lith audit` records it.
 7. Signups: 20 from one address succeed, the 21st gets 429 with
    Retry-After (and no account), another address still signs up.
 8. Timing: failed logins for an unknown email, an account hashed at the
    serving cost and one hashed at another cost take the same time (medians
    within 15 % or 3 ms), both ways round (old hash dearer, then cheaper).
 9. The account page through nginx: a session shows its client's address
    and "This device"; "Sign out everywhere else" from a second client ends
    the first one's session.

Environment: LITH_BIN (the binary, default .build/debug/lith), THROTTLE_PIDFILE
(every process started here is appended to it, so a wrapper can clean up even
if this script is killed), THROTTLE_KEEP_DIR=1 (keep the temp dir with the
servers' logs and databases), THROTTLE_TIME_LIMIT (seconds before the whole run
gives up, default 420).
"""

import html
import os
import re
import socket
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # blackbox.py, even under python3 -P
import blackbox  # noqa: E402
from blackbox import (LithServer, Run, argument_parser, events, free_port, guarded, lith_binary, nginx_conf,  # noqa: E402
                      normalise, signed_in, spawn_nginx, start_or_fail, stop_process)

SCRYPT = "ln=4,r=8,p=1"
PASSWORD = "throttle suite passphrase 41"
WRONG = "not the passphrase 17"
NO_THROTTLE = "login-pair=1000000,login-account=1000000,login-address=1000000"
ACCOUNT_SENTENCE = "Too many attempts for this account. Try again in "
NETWORK_SENTENCE = "Too many attempts from your network. Try again in "
INVALID = "Invalid email or password."


# MARK: servers


class Suite(blackbox.Suite):
    def email(self, label):
        return f"{label}-{self.run_id}@throttle.example.com"


class Server(LithServer):
    """`lith serve` on its own SQLite file, with cheap hashes unless told."""

    def __init__(self, suite, name, extra=(), scrypt=SCRYPT):
        super().__init__(suite, name, scrypt, extra)

    def audit(self):
        return self.suite.audit(self.database)


def start_server(report, suite, name, check_name, **kwargs):
    """A started server, or None after a FAIL line saying why."""
    return start_or_fail(report, check_name, Server(suite, name, **kwargs))


# nginx in front of one lith, in a temp prefix, one process (no master, so
# the pid file has all of it), as docs/nginx/lith.conf forwards the client.
NGINX_MAIN = "master_process off;"
NGINX_SERVER = """
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://127.0.0.1:{upstream};
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_connect_timeout 5s;
            proxy_read_timeout 20s;
        }}
    }}"""


class Nginx:
    def __init__(self, suite, name, upstream_port):
        self.suite = suite
        self.prefix = os.path.join(suite.dir, f"nginx-{name}")
        self.upstream_port = upstream_port
        self.port = None
        self.process = None

    def start(self):
        """Returns (ok, why)."""
        self.port = free_port()
        config = nginx_conf(self.prefix, NGINX_SERVER.format(port=self.port, upstream=self.upstream_port),
                            main=NGINX_MAIN, connections=256)
        self.process, problem = spawn_nginx(self.suite.processes, self.prefix, config, self.answers)
        return (False, problem) if problem else (True, f"nginx on port {self.port}")

    def answers(self):
        client = Client(self.port)
        response = client.request("GET", "/healthz")
        client.close()
        return response.status == 200

    def stop(self):
        stop_process(self.process)


def start_nginx(report, suite, name, check_name, upstream_port):
    return start_or_fail(report, check_name, Nginx(suite, name, upstream_port))


# MARK: HTTP


class Client(blackbox.Client):
    def signup(self, email, password=PASSWORD, headers=()):
        return super().signup(email, password, headers)


def sign_up(port, email, source=None, headers=()):
    """A new client from `source` signs up (and stays signed in). Returns (response, client)."""
    client = Client(port, source, headers=headers)
    return client.signup(email), client


def judge_throttled(response, email, sentence=ACCOUNT_SENTENCE):
    """(ok, description) of an answer that should be a throttled login."""
    if response is None:
        return False, "no answer"
    problems = []
    retry_after = response.header("Retry-After")
    message = response.form_error()
    if response.status != 429:
        problems.append(f"status {response.status}")
    if not retry_after or not retry_after.isdigit() or int(retry_after) < 1:
        problems.append(f"Retry-After {retry_after!r}")
    if not message or not message.startswith(sentence):
        problems.append(f"form error {message!r}")
    if f'value="{html.escape(email)}"' not in response.text:
        problems.append("the email not kept in the form")
    if response.sets_session():
        problems.append("a session cookie was set")
    description = f"{response.status}, Retry-After {retry_after}, “{message}”"
    return not problems, description + (f" [wrong: {', '.join(problems)}]" if problems else "")


def judge_wrong_password(response):
    return response is not None and response.status == 422 and response.form_error() == INVALID


def statuses(responses):
    return [r.status if r is not None else None for r in responses]


def summary(values):
    """[422, 422, 422, 429] → '422×3, 429'."""
    parts, previous, count = [], None, 0
    for value in [*values, object()]:
        if value == previous:
            count += 1
            continue
        if count:
            parts.append(f"{previous}×{count}" if count > 1 else f"{previous}")
        previous, count = value, 1
    return ", ".join(parts)


SESSIONS_RE = re.compile(r'id="sessions-heading"(.*?)id="activity-heading"', re.S)
ROW_RE = re.compile(r'<li class="row">(.*?)</li>', re.S)


def account_sessions(response):
    """The sessions on an account page: [(browser, address, this device?)]."""
    section = SESSIONS_RE.search(response.text)
    rows = []
    for row in ROW_RE.findall(section.group(1) if section else ""):
        browser = re.search(r"<strong>(.*?)</strong>", row, re.S)
        address = re.search(r'<span class="muted">\s*(.*?) · signed in', row, re.S)
        rows.append((html.unescape(browser.group(1)) if browser else None,
                     html.unescape(address.group(1).strip()) if address else None,
                     '<span class="badge">This device</span>' in row))
    return rows


# MARK: 1. one account, one address


def check_one_account_one_address(report, suite):
    name = "1. one account from one address"
    server = start_server(report, suite, "pair", name)
    if not server:
        return
    victim, other = suite.email("victim"), suite.email("other")
    setup = [sign_up(server.port, e, "127.0.0.2")[0] for e in (victim, other)]
    if not all(r.status == 303 for r in setup):
        report.check(name, False, f"could not sign up: {setup}")
        server.stop()
        return
    attacker = Client(server.port, "127.0.0.11")
    wrong = [attacker.login(victim, f"{WRONG} {i}") for i in range(5)]
    sixth = attacker.login(victim, f"{WRONG} 6")
    right = attacker.login(victim, PASSWORD)
    sixth_ok, sixth_why = judge_throttled(sixth, victim)
    right_ok, right_why = judge_throttled(right, victim)
    report.check(f"{name}: 5 wrong → 422, the 6th and the right password → 429",
                 all(judge_wrong_password(r) for r in wrong) and sixth_ok and right_ok,
                 f"wrong passwords: {summary(statuses(wrong))} (“{wrong[-1].form_error()}”); "
                 f"6th: {sixth_why}; right password: {right_why}")

    started = time.monotonic()
    more = [attacker.login(victim, f"{WRONG} more {i}", fresh=False) for i in range(200)]
    took = time.monotonic() - started
    log = server.audit()
    failed = events(log, "login_failed", victim)
    throttled = events(log, "login_throttled", victim)
    hashes = [e for e in failed if e.get("ip") == "127.0.0.11"]
    report.check(f"{name}: throttled attempts cost no hash",
                 all(r.status == 429 for r in more) and len(failed) == 5 and len(hashes) == 5 and len(throttled) >= 1,
                 f"200 more attempts in {took:.2f} s: {summary(statuses(more))}; security log for the account: "
                 f"{len(failed)} login_failed (want exactly 5; {len(hashes)} from 127.0.0.11), "
                 f"{len(throttled)} login_throttled (want ≥ 1)")

    other_login = attacker.login(other, PASSWORD)
    elsewhere = Client(server.port, "127.0.0.12")
    victim_elsewhere = elsewhere.login(victim, PASSWORD)
    report.check(f"{name}: another account from that address, the account from another address",
                 signed_in(other_login) and signed_in(victim_elsewhere),
                 f"{other} from 127.0.0.11 → {other_login}" + (" with a session" if signed_in(other_login) else "")
                 + f"; {victim} from 127.0.0.12 → {victim_elsewhere}"
                 + (" with a session" if signed_in(victim_elsewhere) else ""))
    server.stop()


# MARK: 2. unknown email vs existing account


def check_unknown_email(report, suite):
    name = "2. unknown email vs existing account"
    server = start_server(report, suite, "unknown", name)
    if not server:
        return
    existing, unknown = suite.email("exists"), suite.email("nobody")
    signed_up, _ = sign_up(server.port, existing, "127.0.0.2")
    if signed_up.status != 303:
        report.check(name, False, f"could not sign up: {signed_up}")
        server.stop()
        return
    # Two clients on two addresses, interleaved, so both 6th attempts come
    # the same moment after their 5th failure.
    a, b = Client(server.port, "127.0.0.21"), Client(server.port, "127.0.0.22")
    answers = {existing: [], unknown: []}
    for i in range(6):
        answers[existing].append(a.login(existing, f"{WRONG} {i}"))
        answers[unknown].append(b.login(unknown, f"{WRONG} {i}"))
    first = {e: next((i + 1 for i, r in enumerate(rs) if r.status == 429), None) for e, rs in answers.items()}
    x, y = answers[existing][-1], answers[unknown][-1]
    same_status = x.status == y.status
    same_retry = x.header("Retry-After") == y.header("Retry-After")
    same_body = normalise(x.text, existing) == normalise(y.text, unknown)
    same_422 = normalise(answers[existing][4].text, existing) == normalise(answers[unknown][4].text, unknown)
    x_ok, x_why = judge_throttled(x, existing)
    y_ok, y_why = judge_throttled(y, unknown)
    diff = ""
    if not same_body:
        nx, ny = normalise(x.text, existing), normalise(y.text, unknown)
        at = next((i for i, (p, q) in enumerate(zip(nx, ny)) if p != q), min(len(nx), len(ny)))
        diff = f"; pages differ at character {at}: {nx[max(0, at - 40):at + 40]!r} vs {ny[max(0, at - 40):at + 40]!r}"
    report.check(name, x_ok and y_ok and first[existing] == first[unknown] == 6 and same_status and same_retry
                 and same_body and same_422,
                 f"existing: {summary(statuses(answers[existing]))}, unknown: {summary(statuses(answers[unknown]))}; "
                 f"first 429 at attempt {first[existing]} vs {first[unknown]}; 6th: {x_why} vs {y_why}; "
                 f"Retry-After {'equal' if same_retry else 'different'}, page {'identical' if same_body else 'different'}"
                 f" apart from the email, 422 pages {'identical' if same_422 else 'different'}{diff}")
    server.stop()


# MARK: 3. client addresses through nginx


def check_proxied_addresses(report, suite):
    name = "3. through nginx (--trusted-proxies 127.0.0.1)"
    server = start_server(report, suite, "proxied", name, extra=["--trusted-proxies", "127.0.0.1"])
    if not server:
        return
    nginx = start_nginx(report, suite, "proxied", name, server.port)
    if not nginx:
        server.stop()
        return
    victim = suite.email("proxied")
    signed_up, _ = sign_up(nginx.port, victim, "127.0.0.19")
    if signed_up.status != 303:
        report.check(name, False, f"could not sign up through nginx: {signed_up}")
        nginx.stop()
        server.stop()
        return
    c11 = Client(nginx.port, "127.0.0.11")
    guesses = [c11.login(victim, f"{WRONG} {i}") for i in range(6)]
    c12 = Client(nginx.port, "127.0.0.12")
    c12_wrong = c12.login(victim, WRONG)
    c12_right = c12.login(victim, PASSWORD)
    ok11, why11 = judge_throttled(guesses[-1], victim)
    report.check(f"{name}: one client's guesses hold back that client only",
                 all(judge_wrong_password(r) for r in guesses[:5]) and ok11 and judge_wrong_password(c12_wrong)
                 and signed_in(c12_right),
                 f"127.0.0.11: {summary(statuses(guesses))} (6th: {why11}); then 127.0.0.12: wrong password → "
                 f"{c12_wrong}, right password → {c12_right}")

    c13 = Client(nginx.port, "127.0.0.13")
    spoofed = [c13.login(victim, f"{WRONG} {i}", headers=[("X-Forwarded-For", f"203.0.113.{9 + i}")]) for i in range(6)]
    ok13, why13 = judge_throttled(spoofed[-1], victim)
    report.check(f"{name}: a client's own X-Forwarded-For doesn't change who it is",
                 all(judge_wrong_password(r) for r in spoofed[:5]) and ok13,
                 f"127.0.0.13 claiming 203.0.113.9…14 in turn: {summary(statuses(spoofed))} (6th: {why13})")

    page = c12.get("/account")
    rows = account_sessions(page)
    this = [r for r in rows if r[2]]
    log = server.audit()
    mine = events(log, email=victim)
    ips = {}
    for e in mine:
        ips.setdefault(e.get("event"), set()).add(e.get("ip"))
    failed_ips = ips.get("login_failed", set())
    everywhere = {ip for e in log for ip in [e.get("ip")]}
    ok = (page.status == 200 and len(this) == 1 and this[0][1] == "127.0.0.12"
          and failed_ips == {"127.0.0.11", "127.0.0.12", "127.0.0.13"}
          # signing up signs the new account in: a login_succeeded from 127.0.0.19 too
          and ips.get("login_succeeded") == {"127.0.0.12", "127.0.0.19"} and ips.get("signup") == {"127.0.0.19"}
          and "127.0.0.1" not in everywhere and not any(str(ip).startswith("203.0.113.") for ip in everywhere))
    report.check(f"{name}: /account and the security log show the client's address",
                 ok, f"/account (127.0.0.12) → {page.status}, sessions {rows}; security log addresses: "
                 + ", ".join(f"{k} {sorted(map(str, v))}" for k, v in sorted(ips.items()))
                 + f"; every address in the log: {sorted(map(str, everywhere))}")
    nginx.stop()
    server.stop()

    name = "3. direct, no trusted proxy"
    server = start_server(report, suite, "direct", name)
    if not server:
        return
    email = suite.email("direct")
    spoof = [("X-Forwarded-For", "203.0.113.9")]
    signed_up, _ = sign_up(server.port, email, "127.0.0.16", headers=spoof)
    client = Client(server.port, "127.0.0.16", headers=spoof)
    wrong = client.login(email, WRONG)
    right = client.login(email, PASSWORD)
    page = client.get("/account")
    rows = account_sessions(page)
    log = events(server.audit(), email=email)
    ips = sorted({str(e.get("ip")) for e in log})
    report.check(f"{name}: a client's X-Forwarded-For is ignored",
                 signed_up.status == 303 and judge_wrong_password(wrong) and signed_in(right) and ips == ["127.0.0.16"]
                 and any(r[2] and r[1] == "127.0.0.16" for r in rows),
                 f"127.0.0.16 sending X-Forwarded-For 203.0.113.9: signup {signed_up}, wrong password {wrong}, "
                 f"right {right}; /account sessions {rows}; security log ({', '.join(e.get('event') for e in log)}) "
                 f"addresses {ips}")
    server.stop()


# MARK: 4. credential stuffing


def check_credential_stuffing(report, suite, limit=40):
    name = f"4. credential stuffing (--throttle login-address={limit})"
    server = start_server(report, suite, "stuffing", name, extra=["--throttle", f"login-address={limit}"])
    if not server:
        return
    known, other = suite.email("regular"), suite.email("bystander")
    setup = [sign_up(server.port, known, "127.0.0.30")[0], sign_up(server.port, other, "127.0.0.32")[0]]
    earlier = Client(server.port, "127.0.0.31").login(known, PASSWORD)  # the regular user, from the office
    if not all(r.status == 303 for r in setup) or not signed_in(earlier):
        report.check(name, False, f"could not set up: signups {setup}, login from 127.0.0.31 {earlier}")
        server.stop()
        return
    stuffer = Client(server.port, "127.0.0.31")
    failures = [stuffer.login(f"stuffed{i}-{suite.run_id}@victims.example.com", WRONG, fresh=(i == 0)) for i in range(limit)]
    next_email = f"stuffed{limit}-{suite.run_id}@victims.example.com"
    over = stuffer.login(next_email, WRONG, fresh=False)
    over_ok, over_why = judge_throttled(over, next_email, NETWORK_SENTENCE)
    stranger = Client(server.port, "127.0.0.31").login(other, PASSWORD)
    stranger_ok, stranger_why = judge_throttled(stranger, other, NETWORK_SENTENCE)
    report.check(f"{name}: {limit} failures over {limit} emails, then 429 from your network",
                 all(judge_wrong_password(r) for r in failures) and over_ok and stranger_ok,
                 f"127.0.0.31: {summary(statuses(failures))}; email #{limit + 1}: {over_why}; "
                 f"an account never signed in from there, right password: {stranger_why}")

    neighbour = Client(server.port, "127.0.0.32")
    neighbour_wrong = neighbour.login(f"someone-{suite.run_id}@victims.example.com", WRONG)
    neighbour_right = neighbour.login(other, PASSWORD)
    regular = Client(server.port, "127.0.0.31").login(known, PASSWORD)
    report.check(f"{name}: another address, and a known user at the throttled one",
                 judge_wrong_password(neighbour_wrong) and signed_in(neighbour_right) and signed_in(regular),
                 f"127.0.0.32: unknown email → {neighbour_wrong}, {other} → {neighbour_right}; "
                 f"{known} (signed in from 127.0.0.31 before) from 127.0.0.31 → {regular}")
    server.stop()


# MARK: 5. a botnet against one account


def check_botnet(report, suite, limit=20):
    name = f"5. a botnet against one account (--throttle login-account={limit})"
    server = start_server(report, suite, "botnet", name, extra=["--throttle", f"login-account={limit}"])
    if not server:
        return
    owner = suite.email("owner")
    signed_up, _ = sign_up(server.port, owner, "127.0.0.40")
    before = Client(server.port, "127.0.0.40").login(owner, PASSWORD)
    if signed_up.status != 303 or not signed_in(before):
        report.check(name, False, f"could not set up: signup {signed_up}, login {before}")
        server.stop()
        return
    bots = [Client(server.port, f"127.0.1.{i + 1}").login(owner, WRONG) for i in range(limit)]
    last = Client(server.port, f"127.0.1.{limit + 1}")
    over_wrong = last.login(owner, WRONG)
    over_right = last.login(owner, PASSWORD)
    wrong_ok, wrong_why = judge_throttled(over_wrong, owner)
    right_ok, right_why = judge_throttled(over_right, owner)
    home = Client(server.port, "127.0.0.40").login(owner, PASSWORD)
    report.check(name, all(judge_wrong_password(r) for r in bots) and wrong_ok and right_ok and signed_in(home),
                 f"{limit} addresses (127.0.1.1…{limit}) × 1 failure: {summary(statuses(bots))}; address #{limit + 1}: "
                 f"wrong password {wrong_why}, right password {right_why}; the owner from 127.0.0.40 "
                 f"(signed in from there before) → {home}" + (" with a session" if signed_in(home) else ""))
    server.stop()


# MARK: 6. operator tools


def check_operator_tools(report, suite):
    name = "6. operator tools"
    server = start_server(report, suite, "unlock", name)
    if not server:
        return
    victim = suite.email("locked")
    signed_up, _ = sign_up(server.port, victim, "127.0.0.50")
    owner = Client(server.port, "127.0.0.51")
    guesses = [owner.login(victim, f"{WRONG} {i}") for i in range(6)]
    throttled_ok, throttled_why = judge_throttled(guesses[-1], victim)
    status, listed, err = suite.cli(["throttle", "list", "--database", server.database])
    named = [line for line in listed.splitlines() if victim in line and "127.0.0.51" in line]
    report.check(f"{name}: lith throttle list", signed_up.status == 303 and throttled_ok and status == 0 and bool(named),
                 f"127.0.0.51: {summary(statuses(guesses))} ({throttled_why}); `lith throttle list` exit {status}: "
                 + (" | ".join(listed.strip().splitlines()) or err.strip()[:200]))

    status, out, err = suite.cli(["user", "unlock", "--email", victim, "--database", server.database])
    after = owner.login(victim, PASSWORD)
    _, relisted, _ = suite.cli(["throttle", "list", "--database", server.database])
    unlocked = events(server.audit(), "user_unlocked")
    report.check(f"{name}: lith user unlock, then the owner logs in at once",
                 status == 0 and signed_in(after) and victim not in relisted
                 and any(e.get("email") == victim for e in unlocked),
                 f"`lith user unlock --email` exit {status} ({(out + err).strip()[:160]!r}); login from 127.0.0.51 → "
                 f"{after}; throttle list now: {' | '.join(relisted.strip().splitlines())}; "
                 f"audit: {len(unlocked)} user_unlocked ({[e.get('email') for e in unlocked]})")
    server.stop()


# MARK: 7. signups


def check_signups(report, suite, limit=20):
    name = "7. signups from one address"
    server = start_server(report, suite, "signups", name)
    if not server:
        return
    answers = [sign_up(server.port, suite.email(f"farm{i}"), "127.0.0.60")[0] for i in range(limit + 1)]
    last = answers[-1]
    retry_after = last.header("Retry-After")
    alert = re.search(r'<p class="error" role="alert"[^>]*>(.*?)</p>', last.text, re.S)
    message = html.unescape(alert.group(1).strip()) if alert else None
    elsewhere, _ = sign_up(server.port, suite.email("elsewhere"), "127.0.0.61")
    _, users, _ = suite.cli(["user", "list", "--database", server.database])
    farmed_last = suite.email(f"farm{limit}") in users
    ok = (all(r.status == 303 for r in answers[:limit]) and last.status == 429 and retry_after is not None
          and (message or "").startswith(NETWORK_SENTENCE)
          and retry_after.isdigit() and int(retry_after) >= 1 and not farmed_last and elsewhere.status == 303
          and not last.sets_session())
    report.check(name, ok,
                 f"127.0.0.60: {summary(statuses(answers))}; #{limit + 1}: Retry-After {retry_after}, “{message}”, "
                 + ("no account made" if not farmed_last else "the account was made anyway")
                 + f"; 127.0.0.61 signs up → {elsewhere}")
    server.stop()


# MARK: 8. timing of failed logins


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def check_timing(report, suite, old_ln, serve_ln, count=250, warmup=20):
    name = f"8. failed-login timing, OLD hashed at ln={old_ln}, serving at ln={serve_ln}"
    tag = f"timing-{old_ln}-{serve_ln}"
    database = os.path.join(suite.dir, f"{tag}.sqlite")
    old, current, unknown = suite.email(f"old{old_ln}"), suite.email(f"current{serve_ln}"), suite.email(f"unknown{serve_ln}")
    status, out, err = suite.cli(["user", "create", "--email", old, "--database", database,
                                  "--scrypt", f"ln={old_ln},r=8,p=1", "--allow-weak-scrypt-for-tests"],
                                 stdin_text=PASSWORD + "\n")
    if status != 0:
        report.check(name, False, f"lith user create exited {status}: {(out + err).strip()[:200]}")
        return
    server = start_server(report, suite, tag, name, scrypt=f"ln={serve_ln},r=8,p=1", extra=["--throttle", NO_THROTTLE])
    if not server:
        return
    signed_up, _ = sign_up(server.port, current, "127.0.0.70")
    if signed_up.status != 303:
        report.check(name, False, f"could not sign up CURRENT: {signed_up}")
        server.stop()
        return
    kinds = [("unknown email", unknown), (f"CURRENT (ln={serve_ln})", current), (f"OLD (ln={old_ln})", old)]
    client = Client(server.port, "127.0.0.71")
    times = {label: [] for label, _ in kinds}
    unexpected = []
    client.get("/login")
    for round_ in range(warmup + count):
        for label, email in kinds:
            response = client.login(email, WRONG, fresh=False)
            if not judge_wrong_password(response):
                unexpected.append(f"{label}: {response}")
            if round_ >= warmup:
                times[label].append(response.elapsed)
    server.stop()
    medians = {label: statistics.median(values) for label, values in times.items()}
    p90s = {label: percentile(values, 0.9) for label, values in times.items()}
    spread = max(medians.values()) - min(medians.values())
    allowed = max(0.15 * min(medians.values()), 0.003)
    numbers = "; ".join(f"{label}: median {medians[label] * 1000:.2f} ms, p90 {p90s[label] * 1000:.2f} ms"
                        for label, _ in kinds)
    report.check(name, spread <= allowed and not unexpected,
                 f"{count} each interleaved on one connection after {warmup} each to warm up — {numbers}; "
                 f"medians {spread * 1000:.2f} ms apart (allowed {allowed * 1000:.2f} ms: 15 % or 3 ms)"
                 + (f"; {len(unexpected)} answers other than 422: {unexpected[:3]}" if unexpected else ""))


# MARK: 9. the account page through nginx


def check_account_page(report, suite):
    name = "9. the account page through nginx"
    server = start_server(report, suite, "account", name, extra=["--trusted-proxies", "127.0.0.1"])
    if not server:
        return
    nginx = start_nginx(report, suite, "account", name, server.port)
    if not nginx:
        server.stop()
        return
    email = suite.email("account")
    first = Client(nginx.port, "127.0.0.14")
    signed_up = first.signup(email)  # the signup's session is the first one
    second = Client(nginx.port, "127.0.0.15")
    second_login = second.login(email, PASSWORD)
    page = first.get("/account")
    rows = account_sessions(page)
    mine = [r for r in rows if r[2]]
    others = [r for r in rows if not r[2]]
    report.check(f"{name}: sessions listed with their client's address",
                 signed_in(signed_up) and signed_in(second_login) and page.status == 200
                 and len(mine) == 1 and mine[0][1] == "127.0.0.14" and any(r[1] == "127.0.0.15" for r in others)
                 and not any(r[1] == "127.0.0.1" for r in rows),
                 f"signup from 127.0.0.14 {signed_up}, login from 127.0.0.15 {second_login}; "
                 f"/account from 127.0.0.14 → {page.status}: {rows}")

    second.get("/account")
    revoked = second.post("/account/sessions/revoke-others", {})
    after = second.get("/account")
    after_rows = account_sessions(after)
    flash = "You have been signed out everywhere else." in after.text
    first_after = first.get("/account")
    report.check(f"{name}: sign out everywhere else from a second client",
                 revoked.status == 303 and revoked.header("Location") == "/account" and flash
                 and after_rows and all(r[2] for r in after_rows) and after_rows[0][1] == "127.0.0.15"
                 and first_after.status in (302, 303) and (first_after.header("Location") or "").startswith("/login"),
                 f"POST /account/sessions/revoke-others from 127.0.0.15 → {revoked}; then its /account: "
                 f"{after.status}, flash {'shown' if flash else 'missing'}, sessions {after_rows}; "
                 f"127.0.0.14's /account → {first_after}")
    nginx.stop()
    server.stop()


# MARK: main


def run_checks(suite, report):
    guarded(report, check_one_account_one_address, suite)
    guarded(report, check_unknown_email, suite)
    guarded(report, check_proxied_addresses, suite)
    guarded(report, check_credential_stuffing, suite)
    guarded(report, check_botnet, suite)
    guarded(report, check_operator_tools, suite)
    guarded(report, check_signups, suite)
    guarded(report, check_timing, suite, old_ln=9, serve_ln=7)
    guarded(report, check_timing, suite, old_ln=7, serve_ln=9)
    guarded(report, check_account_page, suite)


def loopback_aliases_work():
    """Whether this machine lets a socket bind 127.0.0.11 (Linux does)."""
    s = socket.socket()
    try:
        s.bind(("127.0.0.11", 0))
        return True
    except OSError:
        return False
    finally:
        s.close()


def main():
    parser = argument_parser(__doc__)
    lith = lith_binary(parser, parser.parse_args())
    if not loopback_aliases_work():
        parser.error("cannot bind 127.0.0.11: the checks need every 127.x.y.z on loopback (Linux)")

    run = Run("throttle", time_limit=int(os.environ.get("THROTTLE_TIME_LIMIT", "420")))
    print(f"throttle test: {lith}, logs in {run.directory}", flush=True)
    run.run(lambda: run_checks(Suite(lith, run.directory, run.processes), run.report))
    run.finish()


if __name__ == "__main__":
    main()
