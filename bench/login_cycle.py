#!/usr/bin/env python3
"""The login-cycle load of bench/run.sh: N concurrent clients, each looping

    GET /login  ->  POST /login (303 -> /dashboard)  ->  GET /dashboard (200, "Hello,")
                ->  POST /logout (303, csrf_token from the dashboard's navbar form)

for a fixed time, and one JSON line on stdout with cycles/s, cycle latency
percentiles, errors per step and the client's own CPU use.

    python3 bench/login_cycle.py --url http://127.0.0.1:PORT --email E --password P \
        [--clients 16] [--seconds 15]

The client is plain http.client on one keep-alive connection per client, with
a minimal cookie jar, so that it costs as little CPU as possible: login is
bounded by scrypt on the same cores, and a heavy client would steal from it.
Its CPU use is reported so that you can check it was not the bottleneck.
"""

import argparse
import http.client
import json
import os
import re
import sys
import threading
import time
import urllib.parse

CSRF_RE = re.compile(rb'<input type="hidden" name="csrf_token" value="([^"]*)">')


class Client:
    def __init__(self, host, port):
        self.host = host
        self.port = port
        self.connection = None
        self.cookies = {}

    def close(self):
        if self.connection is not None:
            self.connection.close()
            self.connection = None

    def request(self, method, path, form=None):
        headers = {"User-Agent": "lith-bench/1"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (0, 1):
            if self.connection is None:
                self.connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
            try:
                self.connection.request(method, path, body=body, headers=headers)
                response = self.connection.getresponse()
                data = response.read()
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # A keep-alive connection the server closed between requests:
                # retry once on a new one, as a browser does; a second failure counts.
                self.close()
                if attempt == 1:
                    raise
        for line in response.headers.get_all("Set-Cookie") or []:
            first, _, attributes = line.partition(";")
            name, _, value = first.strip().partition("=")
            lowered = attributes.lower().replace(" ", "")
            if value == "" or "max-age=0" in lowered:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        if response.getheader("Connection", "").lower() == "close":
            self.close()
        return response.status, response.getheader("Location", ""), data


def percentile(sorted_values, fraction):
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, int(round(fraction * len(sorted_values) + 0.5)) - 1))
    return sorted_values[index]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True)
    parser.add_argument("--email", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=15)
    arguments = parser.parse_args()
    url = urllib.parse.urlsplit(arguments.url)

    lock = threading.Lock()
    latencies = []
    errors = {"get_login": 0, "post_login": 0, "get_dashboard": 0, "post_logout": 0, "exception": 0}
    first_errors = []
    start = time.monotonic()
    deadline = start + arguments.seconds
    cpu_start = os.times()

    def fail(step, reason):
        with lock:
            errors[step] += 1
            if len(first_errors) < 5:
                first_errors.append(f"{step}: {reason}")

    def worker():
        client = Client(url.hostname, url.port)

        def step_failed(step, reason):
            # Start the next cycle as a fresh browser: a failed logout would
            # otherwise leave it signed in, and GET /login would redirect forever.
            fail(step, reason)
            client.cookies.clear()

        try:
            while time.monotonic() < deadline:
                began = time.monotonic()
                try:
                    status, _, body = client.request("GET", "/login")
                    match = CSRF_RE.search(body)
                    if status != 200 or not match:
                        step_failed("get_login", f"status {status}, csrf_token {'found' if match else 'missing'}")
                        continue
                    form = {"csrf_token": match.group(1).decode(), "email": arguments.email, "password": arguments.password}
                    status, location, body = client.request("POST", "/login", form)
                    if status != 303 or location != "/dashboard":
                        step_failed("post_login", f"status {status}, Location {location!r}")
                        continue
                    status, _, body = client.request("GET", "/dashboard")
                    match = CSRF_RE.search(body)
                    if status != 200 or b"Hello," not in body or not match:
                        step_failed("get_dashboard", f"status {status}, Hello {'found' if b'Hello,' in body else 'missing'}")
                        continue
                    status, location, body = client.request("POST", "/logout", {"csrf_token": match.group(1).decode()})
                    if status != 303:
                        step_failed("post_logout", f"status {status}, Location {location!r}")
                        continue
                    ended = time.monotonic()
                    if ended <= deadline:
                        with lock:
                            latencies.append(ended - began)
                except Exception as error:  # a socket error, a timeout: counted, then a new connection
                    fail("exception", repr(error))
                    client.close()
                    client.cookies.clear()
                    time.sleep(0.05)
        finally:
            client.close()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(arguments.clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(arguments.seconds + 60)
    elapsed = time.monotonic() - start
    cpu_end = os.times()
    cpu = (cpu_end.user - cpu_start.user) + (cpu_end.system - cpu_start.system)
    latencies.sort()
    # Cycles are counted if they ended before the deadline, so the rate is over
    # the measured window, not over the tail spent finishing the last cycles.
    window = min(elapsed, arguments.seconds)
    result = {
        "clients": arguments.clients,
        "seconds": round(window, 3),
        "cycles": len(latencies),
        "cycles_per_second": round(len(latencies) / window, 2) if window > 0 else 0,
        "latency_ms": {
            "p50": round(percentile(latencies, 0.50) * 1000, 1),
            "p99": round(percentile(latencies, 0.99) * 1000, 1),
            "max": round((latencies[-1] if latencies else 0) * 1000, 1),
        },
        "errors": errors,
        "error_count": sum(errors.values()),
        "first_errors": first_errors,
        "client_cpu_seconds": round(cpu, 2),
        "client_cpu_share_of_one_core": round(cpu / elapsed, 3) if elapsed > 0 else 0,
        "client_cpu_ms_per_cycle": round(cpu * 1000 / len(latencies), 2) if latencies else None,
    }
    print("BENCH_JSON " + json.dumps(result), flush=True)


if __name__ == "__main__":
    sys.exit(main())
