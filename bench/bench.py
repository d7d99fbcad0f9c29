#!/usr/bin/env python3
"""One full benchmark run of Lith on one store; bench/run.sh calls it once per
store and bench/report.py turns the results into the table.

    python3 bench/bench.py --lith BIN --ceiling BIN --store sqlite --database FILE \
        --workdir DIR --out RESULT.json [--pidfile FILE]
    python3 bench/bench.py ... --store postgres --database 'postgres://...&search_path=S' \
        --psql-url 'postgres://...' --schema S

Every process it starts is stopped on the way out (also on SIGINT/SIGTERM) and
its PID is appended to --pidfile so run.sh can stop it if this script is killed.
Exit status: 0 when the run finished (whatever the numbers, and also when the
server crashed: that is a result, recorded in the JSON), 2 on harness failure.
"""

import argparse
import json
import os
import re
import secrets
import signal
import statistics
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.parse

import requests

HERE = os.path.dirname(os.path.abspath(__file__))
CHECK_LUA = os.path.join(HERE, "check.lua")
FLOOD_LUA = os.path.join(HERE, "flood.lua")
LOGIN_CYCLE = os.path.join(HERE, "login_cycle.py")

SCRYPT = "ln=14,r=8,p=1"
PASSWORD = "lith bench password 1"
WRK_THREADS = 2
WRK_CONNECTIONS = 32
WARMUP_SECONDS = 3
MEASURE_SECONDS = 10
CYCLE_CLIENTS = 16
CYCLE_SECONDS = 15
HASH_SECONDS = 5
QUIET_WAIT_SECONDS = 60
SESSIONS_BASE = 1_000
SESSIONS_MEMORY = 100_000
SESSIONS_SCALE = 1_000_000
# user_agent of the rows the harness inserts: the base 1,000, and the rest.
BASE_TAG = "lith-bench"
BULK_TAG = "lith-bench-bulk"

CSRF_RE = re.compile(r'<input type="hidden" name="csrf_token" value="([^"]*)">')
SERVING_RE = re.compile(r"Lith is serving http://[^\s:]+:(\d+)")
# lith-ceiling's own line is print()ed, so block-buffered into a file; Hummingbird's log line is not.
CEILING_RE = re.compile(r"(?:ceiling serving http://|Server started and listening on )[^\s:]+:(\d+)")


class HarnessError(Exception):
    pass


class ServerCrashed(Exception):
    pass


def log(message):
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# MARK: processes


class Processes:
    """Every child started here, so that all of them are stopped on the way out."""

    def __init__(self, pidfile):
        self.children = []
        self.pidfile = pidfile

    def spawn(self, args, log_path=None, stdout=None):
        out = open(log_path, "ab") if log_path else stdout
        process = subprocess.Popen(
            args, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT if log_path else None)
        if log_path:
            out.close()
        self.children.append(process)
        if self.pidfile:
            with open(self.pidfile, "a") as f:
                f.write(f"{process.pid}\n")
        return process

    def forget(self, process):
        """A child that has ended: no need to stop it on the way out."""
        if process.poll() is not None and process in self.children:
            self.children.remove(process)

    @staticmethod
    def stop(process, timeout=10):
        if process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)

    def stop_all(self):
        for process in reversed(self.children):
            try:
                self.stop(process)
            except Exception:
                pass


def wait_for_line(process, log_path, pattern, what, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with open(log_path, "r", errors="replace") as f:
            match = pattern.search(f.read())
        if match:
            return int(match.group(1))
        if process.poll() is not None:
            raise HarnessError(f"{what} exited with status {process.returncode} before serving:\n{tail(log_path)}")
        time.sleep(0.05)
    raise HarnessError(f"{what} did not start serving within {timeout} s:\n{tail(log_path)}")


def tail(path, lines=15):
    try:
        with open(path, "r", errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError:
        return ""


def rss_mib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def rss_detail(pid):
    """VmRSS and its parts (anonymous, file-backed, shared memory), MiB."""
    detail = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                key = line.split(":", 1)[0]
                if key in ("VmRSS", "RssAnon", "RssFile", "RssShmem", "VmHWM"):
                    detail[key] = round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return detail


class RSSSampler:
    """VmRSS of one process every 0.2 s while active."""

    def __init__(self, pid):
        self.pid = pid
        self.samples = []
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        while not self.stopped.is_set():
            value = rss_mib(self.pid)
            if value is not None:
                self.samples.append(value)
            self.stopped.wait(0.2)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stopped.set()
        self.thread.join()

    @property
    def peak(self):
        return round(max(self.samples), 1) if self.samples else None


def cpu_jiffies():
    """(busy, steal, total) in seconds of CPU time, all cores, from /proc/stat."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    hz = os.sysconf("SC_CLK_TCK")
    user, nice, system, idle, iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    return (user + nice + system + irq + softirq) / hz, steal / hz, sum(fields[:8]) / hz


def steal_since(start):
    """The share of the machine's CPU time since `start` (a cpu_jiffies())
    in which the hypervisor ran other guests on our vCPUs."""
    _, steal, total = cpu_jiffies()
    return round((steal - start[1]) / max(total - start[2], 1e-9), 3)


def own_cpu():
    """CPU seconds of this process and of every child it has reaped."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def busy_share(seconds):
    busy0, _, total0 = cpu_jiffies()
    time.sleep(seconds)
    busy1, _, total1 = cpu_jiffies()
    return (busy1 - busy0) / max(total1 - total0, 1e-9)


def wait_until_quiet(limit=QUIET_WAIT_SECONDS):
    """Right after a release build the machine is still busy for a while
    (writing the build out, the compiler's processes ending): wait, up to a
    limit, until two seconds in a row are below 10% busy."""
    started = time.monotonic()
    subprocess.run(["sync"], check=False)
    busy = busy_share(2)
    while busy > 0.10 and time.monotonic() - started < limit:
        busy = busy_share(2)
    waited = time.monotonic() - started
    if waited > 5:
        log(f"waited {waited:.0f} s for the machine to be quiet (last 2 s: {busy:.0%} busy)")


def settle():
    """After a bulk insert or delete: its pages written out (a million rows
    are ~150 MB) before the next measurement, not during it."""
    wait_until_quiet(limit=30)


class CPUWatch:
    """How much CPU processes other than the harness and its children used: a
    busy machine makes every number here unreliable."""

    def __init__(self):
        self.busy_before = busy_share(2)
        self.start = cpu_jiffies()
        self.own_start = own_cpu()
        self.wall_start = time.monotonic()

    def report(self):
        busy, _, total = cpu_jiffies()
        wall = time.monotonic() - self.wall_start
        machine = total - self.start[2]
        other = max(0.0, (busy - self.start[0]) - (own_cpu() - self.own_start))
        return {
            "busy_before_run": round(self.busy_before, 3),
            "other_processes_share": round(other / machine, 3) if machine > 0 else None,
            "steal_share": steal_since(self.start),
            "seconds": round(wall, 1),
        }


def paired_ratio(label, runs, around, rate="requests_per_second", around_rate="requests_per_second"):
    """runs[i] ÷ the mean of around[i] and around[i + 1] (the runs either side
    of it), for each round; the median of those stands for the run."""
    rounds = [run[rate] / ((around[i][around_rate] + around[i + 1][around_rate]) / 2)
              for i, run in enumerate(runs)]
    steal = [run["steal_share"] for run in runs]
    median = statistics.median(rounds)
    log(f"{label} by round: {', '.join(f'{r:.2f} (steal {s:.0%})' for r, s in zip(rounds, steal))}; median {median:.3f}")
    return {"median": round(median, 4), "rounds": [round(r, 4) for r in rounds], "rounds_steal_share": steal}


# MARK: the store


class SQLiteRows:
    def __init__(self, path):
        self.path = path

    def connect(self):
        connection = sqlite3.connect(self.path, timeout=30)
        connection.execute("PRAGMA busy_timeout = 30000")
        return connection

    def user_id(self, email):
        with self.connect() as connection:
            row = connection.execute("SELECT id FROM users WHERE email = ?", (email,)).fetchone()
        if row is None:
            raise HarnessError(f"user {email} not found in {self.path}")
        return row[0]

    def count(self):
        connection = self.connect()
        try:
            return connection.execute("SELECT count(*) FROM sessions").fetchone()[0]
        finally:
            connection.close()

    def failed_logins(self, email):
        """login_failed entries for email in the security log (one hash each);
        None for a schema without the log (a Lith from before it)."""
        connection = self.connect()
        try:
            if not connection.execute("SELECT 1 FROM sqlite_master WHERE name = 'security_events'").fetchone():
                return None
            return connection.execute("SELECT count(*) FROM security_events WHERE event = 'login_failed' AND email = ?",
                                      (email,)).fetchone()[0]
        finally:
            connection.close()

    def has_session_ids(self, connection):
        """Whether sessions have a public id column (Lith after migration 2)."""
        return any(row[1] == "id" for row in connection.execute("PRAGMA table_info(sessions)"))

    def add(self, user_id, rows, tag):
        if rows <= 0:
            return
        now = int(time.time())
        connection = self.connect()
        try:
            connection.execute("PRAGMA cache_size = -262144")  # 256 MiB for this connection's bulk insert
            ids = self.has_session_ids(connection)
            with connection:
                connection.execute(
                    f"""
                    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
                    INSERT INTO sessions ({'id, ' if ids else ''}token_hash, user_id, created_at, last_seen_at, expires_at,
                                          idle_timeout, remember_me, user_agent, ip)
                    SELECT {'lower(hex(randomblob(16))), ' if ids else ''}lower(hex(randomblob(32))), ?, ?, ?, ?, ?, 0, ?,
                           '127.0.0.1' FROM n
                    """,
                    (rows, user_id, now, now, now + 86400, 86400, tag),
                )
            # Leave the rows in the database file, not in the WAL, as a server
            # that has been running for a while would have them.
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        finally:
            connection.close()

    def sibling(self, lith_database, suffix):
        """A second, empty database beside this one: (its rows, the --database
        that `lith serve` takes for it)."""
        stem, extension = os.path.splitext(self.path)
        path = f"{stem}-{suffix}{extension}"
        return SQLiteRows(path), path

    def copy_accounts_from(self, other):
        """The users and sessions of `other`, so that its session cookie signs
        in here too. The tables exist: `lith serve` made them on start."""
        connection = self.connect()
        try:
            connection.execute("ATTACH DATABASE ? AS other", (other.path,))
            with connection:
                connection.execute("INSERT INTO main.users SELECT * FROM other.users")
                connection.execute("INSERT INTO main.sessions SELECT * FROM other.sessions")
        finally:
            connection.close()

    def drop(self):
        pass  # a file in the scratch directory, which run.sh removes


class PostgresRows:
    def __init__(self, psql_url, schema):
        self.psql_url = psql_url
        self.schema = schema

    def psql(self, sql):
        result = subprocess.run(
            ["psql", self.psql_url, "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1"],
            input=f"SET search_path TO {self.schema};\n{sql}\n", capture_output=True, text=True, timeout=600)
        if result.returncode != 0:
            raise HarnessError(f"psql failed: {result.stderr.strip()}")
        return result.stdout.strip()

    def user_id(self, email):
        value = self.psql(f"SELECT id FROM users WHERE email = '{email}';")
        if not value:
            raise HarnessError(f"user {email} not found in schema {self.schema}")
        return int(value)

    def count(self):
        return int(self.psql("SELECT count(*) FROM sessions;"))

    def failed_logins(self, email):
        """As SQLiteRows.failed_logins."""
        if self.psql("SELECT to_regclass('security_events') IS NOT NULL;") != "t":
            return None
        return int(self.psql(f"SELECT count(*) FROM security_events WHERE event = 'login_failed' AND email = '{email}';"))

    def add(self, user_id, rows, tag):
        if rows <= 0:
            return
        now = int(time.time())
        nonce = secrets.token_hex(8)
        ids = self.psql("SELECT count(*) FROM information_schema.columns "
                        f"WHERE table_schema = '{self.schema}' AND table_name = 'sessions' AND column_name = 'id';") == "1"
        self.psql(
            f"""
            INSERT INTO sessions ({'id, ' if ids else ''}token_hash, user_id, created_at, last_seen_at, expires_at,
                                  idle_timeout, remember_me, user_agent, ip)
            SELECT {"encode(sha256(convert_to('id-" + nonce + "-' || g, 'UTF8')), 'hex')::varchar(32), " if ids else ''}
                   encode(sha256(convert_to('{nonce}-' || g, 'UTF8')), 'hex'), {user_id}, {now}, {now}, {now + 86400},
                   86400, false, '{tag}', '127.0.0.1'
            FROM generate_series(1, {rows}) AS g;
            -- Now, not autovacuum a minute later in the middle of a run.
            VACUUM ANALYZE sessions;
            """
        )

    def sibling(self, lith_database, suffix):
        """A second, empty schema beside this one: (its rows, the --database
        that `lith serve` takes for it)."""
        schema = f"{self.schema}_{suffix}"  # run.sh's cleanup drops <schema>_1m too, if this run is killed
        self.psql(f"CREATE SCHEMA {schema};")
        parts = urllib.parse.urlsplit(lith_database)
        query = [(k, v) for k, v in urllib.parse.parse_qsl(parts.query) if k != "search_path"] + [("search_path", schema)]
        return PostgresRows(self.psql_url, schema), urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))

    def copy_accounts_from(self, other):
        """The users and sessions of `other`, so that its session cookie signs
        in here too. The tables exist: `lith serve` made them on start."""
        self.psql(f"INSERT INTO users OVERRIDING SYSTEM VALUE SELECT * FROM {other.schema}.users; "
                  f"INSERT INTO sessions SELECT * FROM {other.schema}.sessions; ANALYZE sessions;")

    def drop(self):
        self.psql(f"DROP SCHEMA IF EXISTS {self.schema} CASCADE;")


# MARK: the bench


class Bench:
    def __init__(self, arguments, processes):
        self.a = arguments
        self.processes = processes
        self.workdir = arguments.workdir
        self.server = None
        self.base = None
        # The paired scenarios (pages, scale) are cheap per round and noisy
        # per round, so they take two rounds more than --repeat.
        self.rounds = arguments.repeat + 2
        self.results = {
            "store": arguments.store,
            "settings": {
                "scrypt": SCRYPT, "wrk": f"-t{WRK_THREADS} -c{WRK_CONNECTIONS}, {WARMUP_SECONDS} s warm-up + {MEASURE_SECONDS} s",
                "repeat": arguments.repeat,
                "rounds": self.rounds,
                "secure_cookies": bool(arguments.secure_cookies),
                "login_cycle": f"{CYCLE_CLIENTS} clients, {CYCLE_SECONDS} s",
            },
            "scenarios": {},
            "memory_mib": {},
            "memory_detail": {},
            "session_rows": {},
            "crashed": None,
            "not_run": [],
        }
        if arguments.store == "sqlite":
            self.rows = SQLiteRows(arguments.database)
        else:
            self.rows = PostgresRows(arguments.psql_url, arguments.schema)

    # -- helpers

    def check_server(self, scenario, server=None, server_log=None):
        server, server_log = server or self.server, server_log or self.server_log
        if server.poll() is not None:
            self.results["crashed"] = {
                "during": scenario,
                "exit_status": server.returncode,
                "log_tail": tail(server_log, 30),
            }
            raise ServerCrashed(scenario)

    def wrk_once(self, url, seconds, status, mark, cookie):
        command = [
            "wrk", f"-t{WRK_THREADS}", f"-c{WRK_CONNECTIONS}", f"-d{seconds}s", "--timeout", "5s",
            "-s", CHECK_LUA, url, "--", str(status), mark, cookie,
        ]
        start = cpu_jiffies()
        process = self.processes.spawn(command, stdout=subprocess.PIPE)
        try:
            stdout, _ = process.communicate(timeout=seconds + 60)
        except subprocess.TimeoutExpired:
            Processes.stop(process)
            raise HarnessError(f"wrk did not finish within {seconds + 60} s")
        finally:
            self.processes.forget(process)
        stdout = stdout.decode(errors="replace")
        line = next((l for l in stdout.splitlines() if l.startswith("BENCH_JSON ")), None)
        if process.returncode != 0 or line is None:
            raise HarnessError(f"wrk failed (status {process.returncode}):\n{stdout}")
        data = json.loads(line[len("BENCH_JSON "):])
        # The hypervisor's share of this run: time our vCPUs were ready but
        # another guest ran. It slows PostgreSQL's path (several processes
        # waking each other) more than the single-process ceiling.
        data["steal_share"] = steal_since(start)
        e = data["wrk_errors"]
        data["socket_errors"] = e["connect"] + e["read"] + e["write"] + e["timeout"]
        # wrk's Non-2xx/3xx count is a subset of the Lua script's wrong status count
        # (which only accepts the one expected status); take the larger.
        data["errors"] = data["socket_errors"] + max(data["wrong_status"], e["status"]) + data["wrong_body"]
        return data

    def measure(self, url, mark="", cookie="", rss_pid=None):
        """One 10 s wrk run; with rss_pid, that process's peak VmRSS during it."""
        if not rss_pid:
            return self.wrk_once(url, MEASURE_SECONDS, 200, mark, cookie)
        with RSSSampler(rss_pid) as sampler:
            run = self.wrk_once(url, MEASURE_SECONDS, 200, mark, cookie)
        run["rss_peak_mib"] = sampler.peak
        return run

    def summarise(self, name, runs, warmup):
        """The run with the median req/s stands for all; errors of every run,
        warm-up included, count."""
        data = dict(sorted(runs, key=lambda run: run["requests_per_second"])[(len(runs) - 1) // 2])
        # An even count (the ceiling's rounds) has no middle run: its req/s is the mean of the two.
        data["requests_per_second"] = round(statistics.median(run["requests_per_second"] for run in runs), 1)
        if len(runs) > 1:
            data["repeats_requests_per_second"] = [run["requests_per_second"] for run in runs]
        data["errors"] = sum(run["errors"] for run in runs) + warmup["errors"]
        data["warmup_errors"] = warmup["errors"]
        data["first_bad"] = next((run["first_bad"] for run in runs if run["first_bad"]), "")
        if warmup["first_bad"] and not data["first_bad"]:
            data["first_bad"] = "warm-up: " + warmup["first_bad"]
        peaks = [run["rss_peak_mib"] for run in runs if run.get("rss_peak_mib") is not None]
        data.pop("rss_peak_mib", None)
        if peaks:
            data["rss_peak_mib"] = max(peaks)
        spread = f" (runs: {', '.join(f'{x:.0f}' for x in data['repeats_requests_per_second'])})" if len(runs) > 1 else ""
        log(f"{name}: {data['requests_per_second']:.0f} req/s{spread}, p50 {data['latency_us']['p50'] / 1000:.2f} ms, "
            f"p99 {data['latency_us']['p99'] / 1000:.2f} ms, errors {data['errors']}")
        return data

    def wrk(self, name, url, mark="", cookie="", sample_rss=False):
        """3 s warm-up, then the 10 s measurement --repeat times."""
        warmup = self.wrk_once(url, WARMUP_SECONDS, 200, mark, cookie)
        rss_pid = self.server.pid if sample_rss else None
        runs = [self.measure(url, mark, cookie, rss_pid) for _ in range(self.a.repeat)]
        return self.summarise(name, runs, warmup)

    def login_cycle(self, seconds):
        command = [
            sys.executable, LOGIN_CYCLE, "--url", self.base, "--email", self.email, "--password", PASSWORD,
            "--clients", str(CYCLE_CLIENTS), "--seconds", str(seconds),
        ]
        out_path = os.path.join(self.workdir, f"login-cycle-{time.monotonic_ns()}.out")
        with open(out_path, "wb") as out:
            process = self.processes.spawn(command, stdout=out)
        return process, out_path

    def login_cycle_result(self, process, out_path, timeout):
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            Processes.stop(process)
            raise HarnessError("the login-cycle client did not finish in time")
        with open(out_path) as f:
            text = f.read()
        line = next((l for l in text.splitlines() if l.startswith("BENCH_JSON ")), None)
        if process.returncode != 0 or line is None:
            raise HarnessError(f"the login-cycle client failed (status {process.returncode}):\n{text}")
        return json.loads(line[len("BENCH_JSON "):])

    def hash_rate(self):
        result = subprocess.run([self.a.lith, "hash-rate", "--scrypt", SCRYPT, "--seconds", str(HASH_SECONDS)],
                                capture_output=True, text=True, timeout=HASH_SECONDS + 60)
        try:
            data = json.loads(result.stdout.strip().splitlines()[-1])
            data["hashes_per_second"] = float(data["hashes_per_second"])
        except (ValueError, IndexError, KeyError):
            raise HarnessError(f"lith hash-rate failed (status {result.returncode}): {result.stdout} {result.stderr}")
        log(f"hash-rate: {data['hashes_per_second']} hashes/s")
        return data

    def top_up(self, total, tag=BASE_TAG):
        started = time.monotonic()
        current = self.rows.count()
        self.rows.add(self.user_id, total - current, tag)
        count = self.rows.count()
        log(f"sessions table: {current} -> {count} rows ({time.monotonic() - started:.1f} s)")
        settle()
        return count

    # -- the run

    def start_server(self):
        self.server_log = os.path.join(self.workdir, f"lith-{self.a.store}.log")
        self.server, self.base = self.serve(self.a.database, self.server_log)

    def serve(self, database, log_path):
        command = [
            self.a.lith, "serve", "--database", database, "--host", "127.0.0.1", "--port", "0",
            "--scrypt", SCRYPT, "--log-level", "error",
            # The signup's confirmation mail goes into the scratch folder,
            # not beside the caller (a PostgreSQL store has no file to sit next to).
            "--mail-outbox", os.path.join(self.workdir, "mail-outbox"),
        ] + (["--secure-cookies"] if self.a.secure_cookies else [])
        server = self.processes.spawn(command, log_path=log_path)
        port = wait_for_line(server, log_path, SERVING_RE, "lith serve")
        base = f"http://127.0.0.1:{port}"
        log(f"lith serve on {base} (pid {server.pid}, {self.a.store})")
        return server, base

    @staticmethod
    def set_cookies(response):
        """name → value of every Set-Cookie, whatever its attributes: a
        `Secure` cookie over plain http (the --secure-cookies run) counts too."""
        cookies = {}
        for line in response.raw.headers.getlist("Set-Cookie"):
            name, _, rest = line.partition("=")
            cookies[name.strip()] = rest.split(";", 1)[0]
        return cookies

    def sign_up(self):
        self.email = f"bench-{secrets.token_hex(4)}@example.com"
        prefix = "__Host-" if self.a.secure_cookies else ""
        page = requests.get(self.base + "/signup", timeout=10)
        match = CSRF_RE.search(page.text)
        guest = self.set_cookies(page)
        if page.status_code != 200 or not match or prefix + "lith_csrf" not in guest:
            raise HarnessError(f"GET /signup: status {page.status_code}, csrf_token {'found' if match else 'missing'}, "
                               f"cookies {sorted(guest)}")
        response = requests.post(
            self.base + "/signup",
            data={"email": self.email, "password": PASSWORD, "password_confirmation": PASSWORD,
                  "csrf_token": match.group(1)},
            headers={"Cookie": f"{prefix}lith_csrf={guest[prefix + 'lith_csrf']}"},
            allow_redirects=False, timeout=30)
        signed_in = self.set_cookies(response)
        if response.status_code != 303 or prefix + "lith_session" not in signed_in:
            raise HarnessError(f"POST /signup: status {response.status_code}, Location {response.headers.get('Location')!r}, "
                               f"cookies {sorted(signed_in)}")
        self.session_cookie = f"{prefix}lith_session={signed_in[prefix + 'lith_session']}"
        self.user_id = self.rows.user_id(self.email)
        # The exact bytes of a signed-in dashboard page, for the ceiling server.
        self.page_path = os.path.join(self.workdir, f"dashboard-{self.a.store}.html")
        status = subprocess.run(
            ["curl", "-sS", "-o", self.page_path, "-w", "%{http_code}", "-H", f"Cookie: {self.session_cookie}",
             self.base + "/dashboard"], capture_output=True, text=True, timeout=30)
        with open(self.page_path, "rb") as f:
            body = f.read()
        if status.stdout.strip() != "200" or b"Hello," not in body:
            raise HarnessError(f"curl /dashboard: status {status.stdout.strip()!r} {status.stderr.strip()}, "
                               f"Hello {'found' if b'Hello,' in body else 'missing'}")
        log(f"signed up {self.email} (user {self.user_id}); dashboard page is {len(body)} bytes")

    def pages(self, ceiling, ceiling_url, ceiling_log):
        """The ceiling, the dashboard and the login page, measured in rounds:
        ceiling, dashboard, login page, ceiling, dashboard, login page, ...,
        ceiling. A page's ratio to the ceiling is the median, over the rounds,
        of its req/s ÷ the mean of the two ceiling runs either side of it.

        The host's speed drifts (by a fifth within the first minutes after a
        build, here): measured block by block, a slow stretch lands on one side
        of a ratio; measured in rounds, numerator and denominator share it.

        Even so a round's ratio moves by a fifth either way from one round to
        the next on this kind of machine (0.56, 0.81, 0.60 in one run, at 0-8%
        steal), so the pages take self.rounds (--repeat + 2), like the scale
        scenario: a median of five is far steadier than one of three, for a
        minute more."""
        s = self.results["scenarios"]
        cookie = self.session_cookie
        rounds = self.rounds
        pages = {
            "ceiling": (ceiling_url, "Hello,", cookie, ceiling.pid),
            "dashboard": (self.base + "/dashboard", "Hello,", cookie, self.server.pid),
            "login_page": (self.base + "/login", "", "", None),
        }
        warmups = {name: self.wrk_once(url, WARMUP_SECONDS, 200, mark, c) for name, (url, mark, c, _) in pages.items()}
        runs = {name: [] for name in pages}

        def measure(name):
            url, mark, c, rss_pid = pages[name]
            runs[name].append(self.measure(url, mark, c, rss_pid))
            if ceiling.poll() is not None:
                raise HarnessError(f"lith-ceiling exited during the run:\n{tail(ceiling_log)}")

        for round_ in range(rounds):
            measure("ceiling")
            self.check_server("ceiling")
            measure("dashboard")
            self.check_server("dashboard")
            measure("login_page")
            self.check_server("login_page")
            log(f"round {round_ + 1}/{rounds}: ceiling {runs['ceiling'][-1]['requests_per_second']:.0f}, "
                f"dashboard {runs['dashboard'][-1]['requests_per_second']:.0f}, "
                f"login page {runs['login_page'][-1]['requests_per_second']:.0f} req/s")
        measure("ceiling")

        for name, label in (("ceiling", "ceiling"), ("dashboard", "dashboard"), ("login_page", "login page")):
            s[name] = self.summarise(label, runs[name], warmups[name])
        for name in ("dashboard", "login_page"):
            s[name]["vs_ceiling"] = paired_ratio(f"{name} ÷ ceiling", runs[name], runs["ceiling"])

    def run(self):
        s = self.results["scenarios"]
        memory = self.results["memory_mib"]
        rows = self.results["session_rows"]
        dashboard = self.base + "/dashboard"
        steps = ["dashboard", "login_page", "ceiling", "login_cycle", "hash_rate", "storm", "flood",
                 "scale_1k", "scale_1m", "memory_100k"]
        self.results["not_run"] = list(steps)

        def done(step):
            self.check_server(step)
            self.results["not_run"].remove(step)

        rows["base"] = self.top_up(SESSIONS_BASE)
        time.sleep(1)
        memory["idle"] = round(rss_mib(self.server.pid), 1)
        self.results["memory_detail"]["idle"] = rss_detail(self.server.pid)
        log(f"idle RSS {memory['idle']} MiB")

        # ceiling, dashboard and login page, in rounds (see pages()).
        ceiling_log = os.path.join(self.workdir, f"ceiling-{self.a.store}.log")
        ceiling = self.processes.spawn([self.a.ceiling, "--port", "0", "--body", self.page_path], log_path=ceiling_log)
        try:
            port = wait_for_line(ceiling, ceiling_log, CEILING_RE, "lith-ceiling")
            self.pages(ceiling, f"http://127.0.0.1:{port}/dashboard", ceiling_log)
        finally:
            Processes.stop(ceiling)
        memory["dashboard_load"] = s["dashboard"]["rss_peak_mib"]
        done("dashboard")
        done("login_page")
        done("ceiling")

        self.login_cycles()
        done("login_cycle")
        done("hash_rate")

        # storm: the dashboard while 16 clients log in and out as fast as they can.
        storm_seconds = 1 + WARMUP_SECONDS + MEASURE_SECONDS * self.a.repeat + 1
        process, out_path = self.login_cycle(storm_seconds)
        try:
            time.sleep(1)
            storm = self.wrk("dashboard during login storm", dashboard, "Hello,", self.session_cookie)
        finally:
            cycles = self.login_cycle_result(process, out_path, storm_seconds + 120)
        storm["login_cycle"] = cycles
        storm["errors"] += cycles["error_count"]
        s["storm"] = storm
        log(f"storm: logins went on at {cycles['cycles_per_second']} cycles/s, errors {cycles['error_count']}")
        done("storm")

        s["flood"] = self.flood()
        done("flood")
        # Each scrypt hash at ln=14, r=8 needs 16 MiB; see whether the server keeps it.
        time.sleep(1)
        memory["after_logins_idle"] = round(rss_mib(self.server.pid), 1)
        self.results["memory_detail"]["after_logins_idle"] = rss_detail(self.server.pid)
        log(f"RSS after the login scenarios: {memory['after_logins_idle']} MiB ({self.results['memory_detail']['after_logins_idle']})")

        self.scale()
        done("scale_1k")
        done("scale_1m")

        rows["memory"] = self.top_up(SESSIONS_MEMORY, BULK_TAG)
        self.check_server("memory_100k")
        time.sleep(1)
        memory["after_100k_idle"] = round(rss_mib(self.server.pid), 1)
        s["memory_100k"] = self.wrk(f"dashboard, {SESSIONS_MEMORY} sessions", dashboard, "Hello,", self.session_cookie,
                                    sample_rss=True)
        memory["after_100k_load"] = s["memory_100k"]["rss_peak_mib"]
        time.sleep(1)
        memory["after_100k_end"] = round(rss_mib(self.server.pid), 1)
        self.results["memory_detail"]["end"] = rss_detail(self.server.pid)
        log(f"RSS with 100k sessions: {memory['after_100k_idle']} MiB idle, {memory['after_100k_load']} MiB peak under load")
        done("memory_100k")

    def flood(self):
        """The dashboard while one client sends wrong passwords for one account
        as fast as wrk can (all with one guest CSRF token). Lith throttles the
        account and address after a few: the rest are 429s that cost no hash.
        How many hashes ran is read back from the security log (each
        login_failed is one); a server without one reports none."""
        victim = f"victim-{secrets.token_hex(4)}@example.com"
        prefix = "__Host-" if self.a.secure_cookies else ""
        page = requests.get(self.base + "/login", timeout=10)
        match = CSRF_RE.search(page.text)
        guest = self.set_cookies(page)
        if page.status_code != 200 or not match or prefix + "lith_csrf" not in guest:
            raise HarnessError(f"GET /login for the flood: status {page.status_code}")
        seconds = 1 + WARMUP_SECONDS + MEASURE_SECONDS * self.a.repeat + 1
        command = ["wrk", "-t1", "-c16", f"-d{seconds}s", "--timeout", "5s", "-s", FLOOD_LUA, self.base + "/login", "--",
                   victim, match.group(1), f"{prefix}lith_csrf={guest[prefix + 'lith_csrf']}"]
        process = self.processes.spawn(command, stdout=subprocess.PIPE)
        try:
            time.sleep(1)
            result = self.wrk("dashboard during a throttled-login flood", self.base + "/dashboard", "Hello,", self.session_cookie)
        finally:
            try:
                stdout, _ = process.communicate(timeout=seconds + 60)
            except subprocess.TimeoutExpired:
                Processes.stop(process)
                raise HarnessError("the flood's wrk did not finish in time")
            finally:
                self.processes.forget(process)
        line = next((l for l in stdout.decode(errors="replace").splitlines() if l.startswith("BENCH_JSON ")), None)
        if process.returncode != 0 or line is None:
            raise HarnessError(f"the flood's wrk failed (status {process.returncode})")
        flood = json.loads(line[len("BENCH_JSON "):])
        flood["hashes"] = self.rows.failed_logins(victim)
        result["flood"] = flood
        result["errors"] += flood["other"] + flood["socket_errors"]
        log(f"flood: {flood['requests']} wrong passwords ({flood['requests_per_second']:.0f}/s): "
            f"{flood['throttled_429']} throttled, {flood['refused_422']} refused, {flood['other']} other; "
            f"hashes computed: {flood['hashes'] if flood['hashes'] is not None else 'unknown (no security log)'}")
        return result

    def login_cycles(self):
        """The login cycle against the hash ceiling, in rounds: hash rate, cycle,
        hash rate, cycle, ..., hash rate, so that each cycle is compared with
        the machine's speed right before and right after it. The hash rate
        swings by several percent from one minute to the next (scrypt is
        bound by memory, which the host shares), even without steal."""
        s = self.results["scenarios"]
        hash_runs = [self.hash_rate()]
        cycles = []
        for round_ in range(self.a.repeat):
            start = cpu_jiffies()
            process, out_path = self.login_cycle(CYCLE_SECONDS)
            c = self.login_cycle_result(process, out_path, CYCLE_SECONDS + 120)
            c["steal_share"] = steal_since(start)
            cycles.append(c)
            log(f"login cycle {round_ + 1}/{self.a.repeat}: {c['cycles_per_second']} cycles/s, p50 {c['latency_ms']['p50']} ms, "
                f"p99 {c['latency_ms']['p99']} ms, errors {c['error_count']}, "
                f"client CPU {c['client_cpu_share_of_one_core']:.0%} of a core")
            self.check_server("login_cycle")
            hash_runs.append(self.hash_rate())
        # The round with the median rate stands for the scenario; errors count from every round.
        median_round = sorted(cycles, key=lambda c: c["cycles_per_second"])[(len(cycles) - 1) // 2]
        summary = dict(median_round)
        summary["rounds_cycles_per_second"] = [c["cycles_per_second"] for c in cycles]
        summary["errors"] = {step: sum(c["errors"][step] for c in cycles) for step in median_round["errors"]}
        summary["error_count"] = sum(c["error_count"] for c in cycles)
        summary["first_errors"] = [e for c in cycles for e in c["first_errors"]][:5]
        summary["vs_hashes"] = paired_ratio("login cycles ÷ hashes", cycles, hash_runs,
                                            rate="cycles_per_second", around_rate="hashes_per_second")
        s["login_cycle"] = summary
        s["hash_rate"] = dict(hash_runs[-1])
        s["hash_rate"]["hashes_per_second"] = round(statistics.mean(h["hashes_per_second"] for h in hash_runs), 1)
        s["hash_rate"]["runs"] = [h["hashes_per_second"] for h in hash_runs]

    def scale(self):
        """The dashboard with 1,000 and with 1,000,000 rows in the sessions
        table: a second `lith serve`, the same binary and settings, on a store
        holding the same user and sessions plus 999,000 more rows, measured
        alternately with the first one in rounds: 1k, 1M, 1k, 1M, ..., 1k.
        The ratio is the median, over the rounds, of each 1M run ÷ the mean of
        the 1k runs either side of it.

        Two servers side by side, not one table grown and cut back between
        runs: single runs here differ by 10% and more a minute apart, and a
        bulk insert, a checkpoint and a delete between the runs of a pair put
        a minute between them. Now a pair is 13 s apart, and the rounds are
        cheap enough to take self.rounds of them (--repeat + 2)."""
        s, rows, memory = self.results["scenarios"], self.results["session_rows"], self.results["memory_mib"]
        rounds = self.rounds
        big_rows, big_database = self.rows.sibling(self.a.database, "1m")
        big_log = os.path.join(self.workdir, f"lith-{self.a.store}-1m.log")
        big = None
        try:
            big, big_base = self.serve(big_database, big_log)
            started = time.monotonic()
            big_rows.copy_accounts_from(self.rows)
            big_rows.add(self.user_id, SESSIONS_SCALE - big_rows.count(), BULK_TAG)
            rows["scale_1k"], rows["scale_1m"] = self.rows.count(), big_rows.count()
            log(f"second server's sessions table: {rows['scale_1m']} rows ({time.monotonic() - started:.1f} s)")
            settle()
            servers = {"1k": (self.base, self.server, self.server_log), "1m": (big_base, big, big_log)}
            runs = {"1k": [], "1m": []}
            warmups = {"1k": [], "1m": []}

            def measure(size):
                base, server, server_log = servers[size]
                self.check_server(f"scale_{size}", server, server_log)
                warmups[size].append(self.wrk_once(base + "/dashboard", WARMUP_SECONDS, 200, "Hello,", self.session_cookie))
                rss_pid = server.pid if size == "1m" else None
                runs[size].append(self.measure(base + "/dashboard", "Hello,", self.session_cookie, rss_pid))
                self.check_server(f"scale_{size}", server, server_log)

            measure("1k")
            for round_ in range(rounds):
                measure("1m")
                measure("1k")
                log(f"scale round {round_ + 1}/{rounds}: {runs['1m'][-1]['requests_per_second']:.0f} req/s at "
                    f"{rows['scale_1m']} rows, {runs['1k'][-2]['requests_per_second']:.0f} and "
                    f"{runs['1k'][-1]['requests_per_second']:.0f} at {rows['scale_1k']} before and after")
        finally:
            if big is not None:
                Processes.stop(big)
            big_rows.drop()

        def combined(w):
            return {"errors": sum(x["errors"] for x in w), "first_bad": next((x["first_bad"] for x in w if x["first_bad"]), "")}

        s["scale_1k"] = self.summarise(f"dashboard, {rows['scale_1k']} sessions", runs["1k"], combined(warmups["1k"]))
        s["scale_1k"]["session_rows"] = rows["scale_1k"]
        s["scale_1m"] = self.summarise(f"dashboard, {rows['scale_1m']} sessions", runs["1m"], combined(warmups["1m"]))
        s["scale_1m"]["session_rows"] = rows["scale_1m"]
        memory["after_1m_load"] = s["scale_1m"]["rss_peak_mib"]
        s["scale_1m"]["vs_1k"] = paired_ratio("1M ÷ 1k", runs["1m"], runs["1k"])

    def finish(self):
        """Stops the server gracefully and records what it logged at error level."""
        if self.server is None:
            return
        if self.server.poll() is None:
            Processes.stop(self.server, timeout=15)
            self.results["server_exit_status_on_sigterm"] = self.server.returncode
        with open(self.server_log, errors="replace") as f:
            lines = [l.rstrip("\n") for l in f if not SERVING_RE.search(l) and l.strip()]
        self.results["server_log_lines"] = len(lines)
        self.results["server_log_sample"] = lines[:10]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lith", required=True)
    parser.add_argument("--ceiling", required=True)
    parser.add_argument("--store", choices=["sqlite", "postgres"], required=True)
    parser.add_argument("--database", required=True)
    parser.add_argument("--psql-url")
    parser.add_argument("--schema")
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--pidfile")
    parser.add_argument("--secure-cookies", action="store_true",
                        help="serve as an https deployment does: Secure + __Host- cookies, HSTS")
    parser.add_argument("--repeat", type=int, default=3,
                        help="measure each wrk scenario this many times and keep the median run (default 3)")
    arguments = parser.parse_args()
    if arguments.store == "postgres" and not (arguments.psql_url and arguments.schema):
        parser.error("--store postgres needs --psql-url and --schema")

    def interrupted(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, interrupted)
    processes = Processes(arguments.pidfile)
    bench = Bench(arguments, processes)
    status = 0
    started = time.monotonic()
    wait_until_quiet()
    cpu = CPUWatch()
    if cpu.busy_before > 0.10:
        log(f"warning: the machine was {cpu.busy_before:.0%} busy before the run started: other processes will skew the numbers")
    try:
        bench.start_server()
        bench.sign_up()
        bench.run()
    except ServerCrashed as crash:
        crashed = bench.results["crashed"]
        log(f"lith serve CRASHED during {crash}: exit status {crashed['exit_status']}\n{crashed['log_tail']}")
    except HarnessError as error:
        log(f"harness failure: {error}")
        bench.results["harness_error"] = str(error)
        status = 2
    except KeyboardInterrupt:
        log("interrupted")
        status = 130
    finally:
        try:
            bench.finish()
        finally:
            processes.stop_all()
    bench.results["seconds"] = round(time.monotonic() - started, 1)
    bench.results["cpu"] = cpu.report()
    with open(arguments.out, "w") as f:
        json.dump(bench.results, f, indent=2)
    return status


if __name__ == "__main__":
    sys.exit(main())
