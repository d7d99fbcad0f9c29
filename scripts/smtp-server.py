#!/usr/bin/env python3
"""A real SMTP server for Lith's tests: aiosmtpd on loopback, with STARTTLS
(or TLS from the start) on a throwaway certificate, AUTH PLAIN/LOGIN over
TLS only, and every accepted message written to a folder.

    python3 scripts/smtp-server.py --dir DIR [--port 0] [--implicit-tls]
        [--user NAME --password SECRET] [--cert cert.pem --key key.pem]

Prints one line `SMTP_READY port=N cafile=PATH` when it is listening, then
serves until killed. Each message is DIR/NNNN.eml (the data as received)
beside DIR/NNNN.json (the envelope: from, to). Recipients whose local part
starts with `refused` are answered `550 5.1.1`, so tests can see a permanent
failure; `tempfail` ones `451 4.3.0`.

Without --cert/--key a self-signed certificate for `localhost` (and
127.0.0.1) is made with openssl in DIR; its path is the `cafile` to trust.
"""

import argparse
import asyncio
import itertools
import json
import os
import signal
import ssl
import subprocess
import sys
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Handler:
    def __init__(self, directory):
        self.directory = directory
        self.counter = itertools.count(1)
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@", 1)[0].lower()
        if local.startswith("refused"):
            return "550 5.1.1 <%s>: no such user here" % address
        if local.startswith("tempfail"):
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            number = next(self.counter)
        base = os.path.join(self.directory, "%04d" % number)
        with open(base + ".eml", "wb") as f:
            f.write(envelope.original_content or envelope.content)
        with open(base + ".json", "w") as f:
            json.dump({"from": envelope.mail_from, "to": envelope.rcpt_tos, "tls": bool(session.ssl)}, f)
        return "250 2.0.0 accepted as %04d" % number


def self_signed(directory):
    cert = os.path.join(directory, "cert.pem")
    key = os.path.join(directory, "key.pem")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "2",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return cert, key


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--implicit-tls", action="store_true")
    parser.add_argument("--user")
    parser.add_argument("--password")
    parser.add_argument("--cert")
    parser.add_argument("--key")
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    cert, key = (args.cert, args.key) if args.cert else self_signed(args.dir)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword) and args.user is not None
              and auth_data.login.decode() == args.user and auth_data.password.decode() == args.password)
        # handled=False: aiosmtpd answers 535 itself (with True it answers nothing).
        return AuthResult(success=ok, handled=False)

    port = args.port
    if port == 0:
        import socket
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
    options = dict(hostname="127.0.0.1", port=port, server_hostname="localhost",
                   authenticator=authenticator if args.user else None,
                   # With TLS from the first byte aiosmtpd doesn't see it as TLS; STARTTLS it does.
                   auth_require_tls=not args.implicit_tls, auth_required=bool(args.user))
    if args.implicit_tls:
        controller = Controller(Handler(args.dir), ssl_context=context, **options)
    else:
        controller = Controller(Handler(args.dir), tls_context=context, require_starttls=True, **options)
    controller.start()
    print("SMTP_READY port=%d cafile=%s" % (port, cert), flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    # Wake now and then: a signal is only handled between Python's steps.
    while not stop.wait(0.5):
        pass
    controller.stop()


if __name__ == "__main__":
    main()
