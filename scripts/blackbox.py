"""The plumbing the black-box suites (scripts/*-test.py) share: the PASS/FAIL
report, child processes that are stopped whatever happens, `lith serve` and
nginx started on free ports, a raw-socket HTTP client, and the shape of a
suite's main(). The checks themselves stay in each suite's own file; this is
only what was the same in all of them, so that a fix to the plumbing (a
leaked process, a misread response) is made once.

A suite imports it by name: run as `python3 scripts/X-test.py`, scripts/ is
the first entry of sys.path (each suite makes sure of it, for -P / -I runs).
"""

import argparse
import html
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from urllib.parse import urlencode

SERVING_RE = re.compile(r"Lith is serving http://[^\s]+:(\d+) ")
CSRF_RE = re.compile(r'<input type="hidden" name="csrf_token" value="([^"]*)">')
FORM_ERROR_RE = re.compile(r'<p class="error" role="alert" id="form-error">(.*?)</p>', re.S)
FLASH_RE = re.compile(r'<p class="flash[^"]*" role="status">(.*?)</p>', re.S)
SESSION_COOKIE = "lith_session"
# What Client sends as its browser: the security log records a summary of it.
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36"
REQUEST_TIMEOUT = 20  # seconds a Client waits on its socket


# MARK: output


class Report:
    """Counts and prints one line per check. Locked, because a check may run
    in a thread beside others (the mail suite's check 4)."""

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
    """A detail under the PASS/FAIL lines, indented so those stay easy to scan."""
    print(f"      {message}", flush=True)


# MARK: processes


class Processes:
    """Every child process, so that all of them are stopped on the way out.
    Each pid also goes into `pidfile` (the wrapper's, see scripts/blackbox.sh),
    so the wrapper can stop them even if this script is killed; a negative
    entry is a process group (the browser suite runs chromedriver in a session
    of its own, so that its group holds every Chromium process too)."""

    def __init__(self, pidfile, cwd=None):
        self.children = []  # subprocess.Popen objects
        self.groups = []  # process group ids
        self.pidfile = pidfile
        self.cwd = cwd  # where children run (the mail suite: never the repository)
        self.lock = threading.Lock()

    def _note(self, entry):
        if self.pidfile:
            with open(self.pidfile, "a") as f:
                f.write(f"{entry}\n")

    def spawn(self, args, stdout_path, stderr_path=None, stdin=subprocess.DEVNULL, **kwargs):
        """Starts `args` with stdout and stderr appended to files (stderr to
        the stdout file when `stderr_path` is None) and registers it."""
        with open(stdout_path, "ab") as out:
            if stderr_path is None:
                process = subprocess.Popen(args, stdin=stdin, stdout=out, stderr=subprocess.STDOUT, cwd=self.cwd, **kwargs)
            else:
                with open(stderr_path, "ab") as err:
                    process = subprocess.Popen(args, stdin=stdin, stdout=out, stderr=err, cwd=self.cwd, **kwargs)
        with self.lock:
            self.children.append(process)
            self._note(process.pid)
        return process

    def group_hook(self):
        """For Popen's preexec_fn with start_new_session: the child, a group
        leader by then, notes its group in the pid file itself before it runs
        anything, so the wrapper knows of it even if this script is killed
        before the child is up."""
        pidfile = self.pidfile

        def note_own_group():
            if pidfile:
                fd = os.open(pidfile, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
                os.write(fd, f"-{os.getpid()}\n".encode())
                os.close(fd)
        return note_own_group

    def adopt_group(self, pgid):
        with self.lock:
            self.groups.append(pgid)

    def stop_group(self, pgid, grace=3.0):
        """TERM to the whole group, then KILL to whatever is left of it."""
        if not signal_group(pgid, signal.SIGTERM):
            return
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline and group_alive(pgid):
            time.sleep(0.05)
        signal_group(pgid, signal.SIGKILL)

    def stop_all(self):
        """TERM to every child still running, KILL to any still there 10 s
        later; then the pid file is emptied, as nothing is left to kill."""
        with self.lock:
            children, groups = list(self.children), list(self.groups)
        for pgid in groups:
            self.stop_group(pgid)
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


def signal_group(pgid, signum):
    """Whether the signal reached the group (False once it is gone)."""
    try:
        os.killpg(pgid, signum)
        return True
    except (ProcessLookupError, PermissionError):
        return False


def group_alive(pgid):
    return signal_group(pgid, 0)


def stop_process(process, timeout=10):
    """TERM, and KILL if it is still there after `timeout` seconds."""
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


def read_bytes(path):
    """A file's bytes; none while it doesn't exist yet (a log not yet written)."""
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        return b""


def read(path):
    """A file as text, whatever bytes a failing child wrote into it."""
    return read_bytes(path).decode("utf-8", "replace")


def tail(path, lines=5):
    """The last lines of a log, on one line: the reason a FAIL line gives."""
    return " | ".join(read(path).strip().splitlines()[-lines:])


def free_ports(count):
    """Ports free right now, all different (the sockets are held until every
    one is bound). Only for what can't take port 0 and say which it got."""
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def free_port():
    return free_ports(1)[0]


def wait_for_port(process, stdout_path, stderr_path, pattern, who, announcement, timeout):
    """Polls a child's stdout until `pattern` shows the port it listens on.
    Returns (port, None), or (None, why not) once the child has exited or
    `timeout` seconds have passed, with the end of its stderr."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        match = pattern.search(read(stdout_path))
        if match:
            return int(match.group(1)), None
        if process.poll() is not None:
            return None, f"{who} exited with status {process.returncode}: {tail(stderr_path)}"
        time.sleep(0.05)
    return None, f"{who}: no {announcement} within {timeout} s: {tail(stderr_path)}"


# MARK: lith


class Suite:
    """What every check is handed: the binary, the temp dir and the children,
    and `lith` commands run to the end."""

    cli_timeout = 30  # seconds a `lith` command may take

    def __init__(self, lith, directory, processes):
        self.lith = lith
        self.dir = directory
        self.processes = processes
        self.run_id = secrets.token_hex(3)  # keeps this run's emails apart from an earlier run's
        self.counter = 0
        self.lock = threading.Lock()

    def path(self, name):
        return os.path.join(self.dir, name)

    def cli(self, args, stdin_text=None, timeout=None):
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
            status = process.wait(timeout=self.cli_timeout if timeout is None else timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            status = None
        return status, read(out), read(err)

    def audit(self, database):
        """`lith audit --json` for a database: a list of events, oldest first."""
        status, out, err = self.cli(["audit", "--json", "--database", database])
        if status != 0:
            raise AssertionError(f"lith audit exited {status}: {err.strip()[:200]}")
        return [json.loads(line) for line in out.splitlines() if line.strip()]


class LithServer:
    """One `lith serve` on 127.0.0.1 (port 0: the kernel picks one, which the
    server announces on stdout) with its own SQLite file in the suite's temp
    dir unless given a database; stdout and stderr (its log) kept apart. A
    suite's Server adds its own flags and what its checks ask of a server."""

    def __init__(self, suite, name, scrypt, flags=(), database=None, port=0):
        self.suite = suite
        self.name = name
        self.database = database or os.path.join(suite.dir, f"{name}.sqlite")
        self.stdout_path = os.path.join(suite.dir, f"{name}.stdout")
        self.stderr_path = os.path.join(suite.dir, f"{name}.stderr")
        self.args = [suite.lith, "serve", "--host", "127.0.0.1", "--port", str(port), "--database", self.database,
                     "--scrypt", scrypt, "--allow-weak-scrypt-for-tests", *flags]
        self.process = None
        self.port = None

    def start(self, timeout=30, **popen):
        """Starts it and waits for `Lith is serving`. Returns (ok, why)."""
        self.process = self.suite.processes.spawn(self.args, self.stdout_path, self.stderr_path,
                                                  env=child_environment(), **popen)
        self.port, problem = wait_for_port(self.process, self.stdout_path, self.stderr_path, SERVING_RE, self.name,
                                           "'Lith is serving' line", timeout)
        return (False, problem) if problem else (True, f"serving on port {self.port}")

    def stop(self):
        stop_process(self.process)


def start_or_fail(report, check_name, service):
    """`service` (a server, nginx, an SMTP server) once its start() worked,
    or None after a FAIL line for `check_name` saying why not."""
    up, why = service.start()
    if not up:
        report.check(check_name, False, why)
        return None
    return service


# MARK: nginx


def nginx_conf(prefix, http, main="", connections=1024):
    """An nginx.conf for a throwaway prefix: one worker in the foreground (so
    Processes can stop it), every file it writes under `prefix`; `main` adds
    to the top level, `http` (the upstreams and servers) to the http block."""
    return f"""
worker_processes 1;
{main}
daemon off;
pid {prefix}/nginx.pid;
error_log {prefix}/logs/error.log warn;
events {{ worker_connections {connections}; }}
http {{
    access_log {prefix}/logs/access.log;
    client_body_temp_path {prefix}/temp/client_body;
    proxy_temp_path {prefix}/temp/proxy;
    fastcgi_temp_path {prefix}/temp/fastcgi;
    uwsgi_temp_path {prefix}/temp/uwsgi;
    scgi_temp_path {prefix}/temp/scgi;
{http}
}}
"""


def spawn_nginx(processes, prefix, config_text, answers, wait=10):
    """Starts nginx in `prefix` with `config_text`, once `nginx -t` accepts
    it, and waits up to `wait` seconds for `answers()` (a /healthz through
    it; an OSError is a no). Returns (process or None, None if it answered,
    else why not)."""
    for sub in ("logs", "temp"):
        os.makedirs(os.path.join(prefix, sub), exist_ok=True)
    config = os.path.join(prefix, "nginx.conf")
    with open(config, "w") as f:
        f.write(config_text)
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    error_log = os.path.join(prefix, "logs", "error.log")
    test = subprocess.run([nginx, "-t", "-p", prefix, "-e", error_log, "-c", config],
                          capture_output=True, text=True, timeout=30)
    if test.returncode != 0:
        return None, f"nginx -t failed: {test.stderr.strip()}"
    process = processes.spawn([nginx, "-p", prefix, "-e", error_log, "-c", config],
                              os.path.join(prefix, "logs", "stdout.log"), os.path.join(prefix, "logs", "stderr.log"))
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return process, f"nginx exited: {tail(error_log)}"
        try:
            if answers():
                return process, None
        except OSError:  # requests' errors are OSErrors too
            pass
        time.sleep(0.1)
    return process, f"nginx did not answer /healthz within {wait} s"


# MARK: HTTP over a raw socket


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
    """A browser of sorts on one keep-alive connection from `source` (an
    address of the loopback net, e.g. 127.0.0.11; None: the kernel's choice,
    127.0.0.1): its own cookie jar, the CSRF token of the last form it was
    shown, and `headers` sent with every request. Raw sockets, so that a
    client can bind its source address and the suite decides when a
    connection is kept or dropped; `elapsed` times the exchange alone."""

    def __init__(self, port, source=None, headers=()):
        self.port = port
        self.source = source
        self.host = f"127.0.0.1:{port}"
        self.headers = list(headers)
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
            if self.source:
                s.bind((self.source, 0))
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

    def request(self, method, path, fields=None, headers=()):
        body = urlencode(fields).encode() if fields is not None else b""
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}", f"User-Agent: {USER_AGENT}", "Accept: text/html"]
        if self.cookies:
            lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        if method == "POST":
            lines += ["Content-Type: application/x-www-form-urlencoded", f"Content-Length: {len(body)}"]
        given = {name.lower() for name, _ in headers}
        for name, value in [*(h for h in self.headers if h[0].lower() not in given), *headers]:
            lines.append(f"{name}: {value}")
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

    def get(self, path, headers=()):
        return self.request("GET", path, headers=headers)

    def post(self, path, fields, headers=()):
        """POSTs `fields` with the CSRF token of the last form this client was shown."""
        return self.request("POST", path, {"csrf_token": self.token or "", **fields}, headers=headers)

    def login(self, email, password, fresh=True, headers=()):
        """POST /login; with `fresh`, after a GET of the form (else with the
        token of the last form shown, e.g. the one a 422 or 429 came back with)."""
        if fresh or not self.token:
            self.get("/login", headers=headers)
        return self.post("/login", {"email": email, "password": password}, headers=headers)

    def signup(self, email, password, headers=()):
        self.get("/signup", headers=headers)
        return self.post("/signup", {"email": email, "password": password, "password_confirmation": password},
                         headers=headers)


def signed_in(response):
    """A login or signup that worked: 303 with a session cookie."""
    return response is not None and response.status == 303 and response.sets_session()


def normalise(body, email):
    """A page with the email and the CSRF token blanked: what must be the
    same whether the account exists or not."""
    text = body.replace(html.escape(email), "EMAIL").replace(email, "EMAIL")
    return CSRF_RE.sub('<input type="hidden" name="csrf_token" value="TOKEN">', text)


def events(log, kind=None, email=None):
    """The entries of a security log (`Suite.audit`) of one kind and/or for one email."""
    return [e for e in log if (kind is None or e.get("event") == kind) and (email is None or e.get("email") == email)]


# MARK: main


def argument_parser(doc):
    """The command line every suite takes: --lith (default $LITH_BIN)."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--lith", default=os.environ.get("LITH_BIN", ".build/debug/lith"), help="the lith binary")
    return parser


def lith_binary(parser, options):
    """The --lith binary as an absolute path (children run elsewhere), or the usage error."""
    lith = os.path.abspath(options.lith)
    if not os.access(lith, os.X_OK):
        parser.error(f"no lith binary at {lith} (build it with `swift build`, or set LITH_BIN)")
    return lith


def stop_on_signals(title, directory, time_limit=None):
    """SIGTERM and SIGINT (and SIGALRM, after `time_limit` seconds if given)
    raise SystemExit, so that the `finally` stopping every child still runs;
    the temp dir is then kept, for its logs."""
    def on_signal(signum, frame):
        why = f"gave up after {time_limit} s" if signum == signal.SIGALRM else f"interrupted by signal {signum}"
        print(f"{title}: {why}; stopping what it started; logs kept in {directory}", flush=True)
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    if time_limit:
        signal.signal(signal.SIGALRM, on_signal)
        signal.alarm(time_limit)


def guarded(report, check, *args, **kwargs):
    """Runs check(report, ...); if it crashes, that is a failed check, and the others still run."""
    try:
        check(report, *args, **kwargs)
    except Exception as error:  # noqa: BLE001 - an unexpected error is a failed check, not the end of the run
        traceback.print_exc()
        report.check(getattr(check, "__name__", str(check)), False, f"aborted: {type(error).__name__}: {error}")


class Run:
    """One run of a suite: its temp dir (logs, databases), its children and
    its report, with the wrapper's settings NAME_PIDFILE (the pid file, see
    Processes) and NAME_KEEP_DIR (keep the temp dir even if all passed).
    Created after the command line is checked: from then on a signal or
    the time limit ends the run with every child stopped."""

    def __init__(self, name, time_limit=None, children_in_directory=False):
        self.title = f"{name} test"
        self.variable_prefix = name.upper()
        self.directory = tempfile.mkdtemp(prefix=f"lith-{name}-")
        self.processes = Processes(os.environ.get(f"{self.variable_prefix}_PIDFILE"),
                                   cwd=self.directory if children_in_directory else None)
        self.report = Report()
        stop_on_signals(self.title, self.directory, time_limit)
        self.started = time.monotonic()

    def run(self, run_checks):
        """Runs `run_checks()`: an error that escapes it is one failed check
        (with its traceback), and every child is stopped afterwards whatever
        happened."""
        try:
            run_checks()
        except Exception as error:  # noqa: BLE001 - an unexpected error is a failed check, not a traceback
            traceback.print_exc()
            self.report.check(self.title, False, f"aborted: {type(error).__name__}: {error}")
        finally:
            signal.alarm(0)
            self.processes.stop_all()

    def finish(self, notes=()):
        """The last lines (time taken, where the logs are, `N passed, M
        failed`) and the exit status: non-zero if any check failed. The temp
        dir is kept when a check failed or NAME_KEEP_DIR is set."""
        report = self.report
        info(f"took {time.monotonic() - self.started:.0f} s")
        for note in notes:
            info(note)
        if report.failed or os.environ.get(f"{self.variable_prefix}_KEEP_DIR"):
            info(f"logs kept in {self.directory}")
        else:
            shutil.rmtree(self.directory, ignore_errors=True)
        print(f"{report.passed} passed, {report.failed} failed", flush=True)
        sys.exit(1 if report.failed else 0)
