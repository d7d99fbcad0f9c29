#!/usr/bin/env python3
"""The login-cycle load of bench/run.sh: N concurrent clients, each looping

    GET /login  ->  POST /login (303 -> /dashboard)  ->  GET /dashboard (200, "Hello,")
                ->  POST /logout (303, csrf_token from the dashboard's navbar form)

for a fixed time, and one JSON line on stdout with cycles/s, cycle latency
percentiles, errors per step and the client's own CPU use.

    python3 bench/login_cycle.py --url http://127.0.0.1:PORT --email E --password P \
        [--clients 16] [--seconds 15]

Login is bounded by scrypt on the same cores the client runs on, so every
millisecond the client spends is a millisecond the server cannot hash. The
clients are therefore one thread and one event loop over N keep-alive sockets
with a minimal HTTP/1.1 reader and cookie jar, not N threads of http.client:
those cost 1.5-1.7 ms of CPU per cycle, mostly handing the GIL around and
parsing headers as e-mail. Its CPU use is reported so that you can check it
was not the bottleneck.
"""

import argparse
import json
import os
import re
import selectors
import socket
import sys
import time
import urllib.parse

CSRF_RE = re.compile(rb'<input type="hidden" name="csrf_token" value="([^"]*)">')
STEPS = ("get_login", "post_login", "get_dashboard", "post_logout")


class ProtocolError(Exception):
    pass


class Response:
    __slots__ = ("status", "headers", "body")

    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # [(lowercased name, value)], in order
        self.body = body

    def header(self, name):
        return next((value for key, value in self.headers if key == name), "")


def parse_response(buffer):
    """One complete response from the front of buffer, and how many bytes it
    took; None while it is incomplete."""
    head_end = buffer.find(b"\r\n\r\n")
    if head_end < 0:
        return None
    lines = bytes(buffer[:head_end]).decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
        raise ProtocolError(f"bad status line {lines[0]!r}")
    headers = []
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers.append((name.strip().lower(), value.strip()))
    body_start = head_end + 4
    response = Response(int(parts[1]), headers, b"")
    if response.header("transfer-encoding").lower() == "chunked":
        return parse_chunked(buffer, body_start, response)
    length = response.header("content-length")
    if not length.isdigit():
        raise ProtocolError("a response without Content-Length or chunked encoding")
    end = body_start + int(length)
    if len(buffer) < end:
        return None
    response.body = bytes(buffer[body_start:end])
    return response, end


def parse_chunked(buffer, position, response):
    body = bytearray()
    while True:
        line_end = buffer.find(b"\r\n", position)
        if line_end < 0:
            return None
        size = int(bytes(buffer[position:line_end]).split(b";")[0], 16)
        chunk_start = line_end + 2
        if size == 0:
            trailer_end = buffer.find(b"\r\n\r\n", line_end)
            if trailer_end < 0:
                return None
            response.body = bytes(body)
            return response, trailer_end + 4
        if len(buffer) < chunk_start + size + 2:
            return None
        body += buffer[chunk_start:chunk_start + size]
        position = chunk_start + size + 2


class Client:
    """One browser: a keep-alive socket, a cookie jar and where it is in the cycle."""

    def __init__(self, run):
        self.run = run
        self.sock = None
        self.cookies = {}
        self.inbox = bytearray()
        self.outbox = b""
        self.step = 0
        self.csrf = ""
        self.request_bytes = b""
        self.answered_on_this_socket = 0
        self.retried = False
        self.began = 0.0
        self.resume_at = 0.0

    # -- the socket

    def connect(self):
        self.sock = socket.create_connection((self.run.host, self.run.port), timeout=30)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.setblocking(False)
        self.inbox.clear()
        self.answered_on_this_socket = 0
        self.run.selector.register(self.sock, selectors.EVENT_READ, self)

    def close(self):
        if self.sock is not None:
            self.run.selector.unregister(self.sock)
            self.sock.close()
            self.sock = None
        self.outbox = b""

    def send(self, data):
        if self.sock is None:
            self.connect()
        self.outbox = data
        self.flush()

    def flush(self):
        sent = self.sock.send(self.outbox)
        self.outbox = self.outbox[sent:]
        events = selectors.EVENT_READ | (selectors.EVENT_WRITE if self.outbox else 0)
        self.run.selector.modify(self.sock, events, self)

    # -- the cycle

    def start_cycle(self):
        self.step = 0
        self.began = time.monotonic()
        self.issue()

    def issue(self):
        step = STEPS[self.step]
        if step == "get_login":
            self.request("GET", "/login")
        elif step == "post_login":
            self.request("POST", "/login", {"csrf_token": self.csrf, "email": self.run.email,
                                            "password": self.run.password})
        elif step == "get_dashboard":
            self.request("GET", "/dashboard")
        else:
            self.request("POST", "/logout", {"csrf_token": self.csrf})

    def request(self, method, path, form=None):
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.run.host}:{self.run.port}", "User-Agent: lith-bench/1"]
        if self.cookies:
            lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        body = b""
        if form is not None:
            body = urllib.parse.urlencode(form).encode()
            lines.append("Content-Type: application/x-www-form-urlencoded")
            lines.append(f"Content-Length: {len(body)}")
        self.request_bytes = ("\r\n".join(lines) + "\r\n\r\n").encode() + body
        self.retried = False
        self.send(self.request_bytes)

    def readable(self):
        try:
            data = self.sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except ConnectionResetError:
            data = b""
        if not data:
            self.connection_lost()
            return
        self.inbox += data
        parsed = parse_response(self.inbox)
        if parsed is None:
            return
        response, used = parsed
        del self.inbox[:used]
        self.answered_on_this_socket += 1
        if response.header("connection").lower() == "close":
            self.close()
        self.take_cookies(response)
        self.answered(response)

    def connection_lost(self):
        # A keep-alive socket the server closed between requests: retry once
        # on a new one, as a browser does; a second failure counts.
        reused = self.answered_on_this_socket > 0 and not self.inbox
        self.close()
        if reused and not self.retried:
            self.retried = True
            self.send(self.request_bytes)
        else:
            raise ConnectionError("the server closed the connection mid-request")

    def take_cookies(self, response):
        for name, line in response.headers:
            if name != "set-cookie":
                continue
            first, _, attributes = line.partition(";")
            cookie, _, value = first.strip().partition("=")
            if value == "" or "max-age=0" in attributes.lower().replace(" ", ""):
                self.cookies.pop(cookie, None)
            else:
                self.cookies[cookie] = value

    def answered(self, response):
        step = STEPS[self.step]
        status, location, body = response.status, response.header("location"), response.body
        if step == "get_login":
            match = CSRF_RE.search(body)
            if status != 200 or not match:
                return self.failed(step, f"status {status}, csrf_token {'found' if match else 'missing'}")
            self.csrf = match.group(1).decode()
        elif step == "post_login":
            if status != 303 or location != "/dashboard":
                return self.failed(step, f"status {status}, Location {location!r}")
        elif step == "get_dashboard":
            match = CSRF_RE.search(body)
            if status != 200 or b"Hello," not in body or not match:
                return self.failed(step, f"status {status}, Hello {'found' if b'Hello,' in body else 'missing'}")
            self.csrf = match.group(1).decode()
        else:
            if status != 303:
                return self.failed(step, f"status {status}, Location {location!r}")
            self.run.cycle_done(self.began)
            return self.start_cycle()
        self.step += 1
        self.issue()

    def failed(self, step, reason):
        # Start the next cycle as a fresh browser: a failed logout would
        # otherwise leave it signed in, and GET /login would redirect forever.
        self.run.fail(step, reason)
        self.cookies.clear()
        self.start_cycle()


class Run:
    def __init__(self, arguments):
        url = urllib.parse.urlsplit(arguments.url)
        self.host, self.port = url.hostname, url.port
        self.email, self.password = arguments.email, arguments.password
        self.seconds = arguments.seconds
        self.selector = selectors.DefaultSelector()
        self.latencies = []
        self.errors = {step: 0 for step in STEPS}
        self.errors["exception"] = 0
        self.first_errors = []
        self.clients = [Client(self) for _ in range(arguments.clients)]
        self.deadline = 0.0

    def fail(self, step, reason):
        self.errors[step] += 1
        if len(self.first_errors) < 5:
            self.first_errors.append(f"{step}: {reason}")

    def cycle_done(self, began):
        ended = time.monotonic()
        # Cycles count if they ended before the deadline, so the rate is over
        # the measured window, not over a tail spent finishing the last ones.
        if ended <= self.deadline:
            self.latencies.append(ended - began)

    def guarded(self, client, action):
        try:
            action()
        except (OSError, ProtocolError, ValueError) as error:  # a socket error, a bad response: counted, then a new connection
            self.fail("exception", repr(error))
            client.close()
            client.cookies.clear()
            client.resume_at = time.monotonic() + 0.05

    def go(self):
        start = time.monotonic()
        self.deadline = start + self.seconds
        for client in self.clients:
            self.guarded(client, client.start_cycle)
        while True:
            now = time.monotonic()
            if now >= self.deadline:
                break
            for client in self.clients:
                if client.resume_at and now >= client.resume_at:
                    client.resume_at = 0.0
                    self.guarded(client, client.start_cycle)
            for key, events in self.selector.select(min(0.05, self.deadline - now)):
                client = key.data
                if events & selectors.EVENT_WRITE and client.outbox:
                    self.guarded(client, client.flush)
                if events & selectors.EVENT_READ and client.sock is not None:
                    self.guarded(client, client.readable)
        for client in self.clients:
            client.close()
        return time.monotonic() - start


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

    run = Run(arguments)
    cpu_start = os.times()
    elapsed = run.go()
    cpu_end = os.times()
    cpu = (cpu_end.user - cpu_start.user) + (cpu_end.system - cpu_start.system)
    latencies = sorted(run.latencies)
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
        "errors": run.errors,
        "error_count": sum(run.errors.values()),
        "first_errors": run.first_errors,
        "client_cpu_seconds": round(cpu, 2),
        "client_cpu_share_of_one_core": round(cpu / elapsed, 3) if elapsed > 0 else 0,
        "client_cpu_ms_per_cycle": round(cpu * 1000 / len(latencies), 2) if latencies else None,
    }
    print("BENCH_JSON " + json.dumps(result), flush=True)


if __name__ == "__main__":
    sys.exit(main())
