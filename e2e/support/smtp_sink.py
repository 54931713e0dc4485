#!/usr/bin/env python3
"""An SMTP server on loopback that keeps what it receives, for tests (aiosmtpd).

Run as a script, it listens on 127.0.0.1 (a free port unless --port), prints one JSON line
(`{"port", "dir"}`) once it accepts connections, and stores each message as `NNNNNN.eml` (the DATA bytes
exactly as received, after dot-unstuffing) with `NNNNNN.json` beside it (`mail_from`, `rcpt_tos`,
`mail_options`, `rcpt_options`, `auth_login`). The JSON file is written last, so a reader that sees it
sees the whole message. It stops when stdin closes or on SIGTERM/SIGINT, and removes the directory it
created (a --dir given to it is kept).

    python3 e2e/support/smtp_sink.py [--port N] [--dir DIR] [--reject REGEX] [--tempfail REGEX]
                                       [--auth USER:PASSWORD] [--oauth2-introspection URL]

--reject answers RCPT TO with 550 for matching recipients (a permanent failure), --tempfail with 451;
--auth requires AUTH PLAIN/LOGIN with these credentials (over plain text: this is a loopback test server).
--oauth2-introspection requires AUTH XOAUTH2 or OAUTHBEARER instead, the bearer token being active
according to that RFC 7662 introspection URL (e2e/support/oauth2_provider.py) and its user the
login named in the SASL message.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import binascii
import itertools
import json
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
import urllib.parse
import urllib.request
from pathlib import Path

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class Sink:
    def __init__(self, directory: Path, reject: str | None, tempfail: str | None):
        self.dir = directory
        self.reject = re.compile(reject) if reject else None
        self.tempfail = re.compile(tempfail) if tempfail else None
        self.counter = itertools.count(1)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.reject and self.reject.search(address):
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        if self.tempfail and self.tempfail.search(address):
            return f"451 4.3.0 <{address}>: Temporary failure, try again later"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        number = next(self.counter)
        base = self.dir / f"{number:06d}"
        # original_content: the bytes as received, untouched by any decoding.
        Path(f"{base}.eml").write_bytes(envelope.original_content or envelope.content)
        meta = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "mail_options": envelope.mail_options,
            "rcpt_options": envelope.rcpt_options,
            "auth_login": session.auth_data.login.decode()
            if session.authenticated and isinstance(session.auth_data, LoginPassword) else None,
            "auth_mechanism": getattr(session, "sb_auth_mechanism", None),
        }
        tmp = Path(f"{base}.json.tmp")
        tmp.write_text(json.dumps(meta))
        os.rename(tmp, f"{base}.json")
        return f"250 2.0.0 Ok: queued as {number:06d}"


class BearerSink(Sink):
    """A sink that takes SASL XOAUTH2 and OAUTHBEARER logins (aiosmtpd calls auth_<MECHANISM>)."""

    def __init__(self, directory: Path, reject: str | None, tempfail: str | None, introspection: str):
        super().__init__(directory, reject, tempfail)
        self.introspection = introspection

    async def auth_XOAUTH2(self, server, args):
        return await self._bearer(server, args, "XOAUTH2")

    async def auth_OAUTHBEARER(self, server, args):
        return await self._bearer(server, args, "OAUTHBEARER")

    async def _bearer(self, server, args, mechanism: str):
        try:
            if len(args) > 1:  # the initial response (RFC 4954), base64
                message = base64.b64decode(args[1], validate=True).decode()
            else:  # an empty challenge; aiosmtpd decodes the answer's base64 itself
                answer = await server.challenge_auth("")
                if not isinstance(answer, bytes):
                    return AuthResult(success=False, handled=False)
                message = answer.decode()
        except (binascii.Error, UnicodeDecodeError):
            return AuthResult(success=False, handled=False, message="501 5.5.2 Can't decode base64")
        # XOAUTH2: user=U^Aauth=Bearer T^A^A; OAUTHBEARER (RFC 7628): n,a=U,^Ahost=…^Aport=…^Aauth=Bearer T^A^A
        fields = message.split("\x01")
        user = next((f[5:] for f in fields if f.startswith("user=")), None)
        if user is None and fields and fields[0].startswith("n,"):
            user = next((part[2:] for part in fields[0].split(",") if part.startswith("a=")), None)
        token = next((f[len("auth=Bearer "):] for f in fields if f.startswith("auth=Bearer ")), None)
        if not user or not token:
            return AuthResult(success=False, handled=False, message="501 5.5.2 Malformed bearer message")
        answer = await asyncio.get_running_loop().run_in_executor(None, self._introspect, token)
        if not answer.get("active") or answer.get("username") != user:
            return AuthResult(success=False, handled=False, message="535 5.7.8 Username and Password not accepted")
        server.session.sb_auth_mechanism = mechanism
        return AuthResult(success=True, handled=False, auth_data=LoginPassword(user.encode(), b""))

    def _introspect(self, token: str) -> dict:
        data = urllib.parse.urlencode({"token": token}).encode()
        with urllib.request.urlopen(urllib.request.Request(self.introspection, data=data), timeout=10) as answer:
            return json.loads(answer.read())


def make_authenticator(user: str, password: str):
    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword) and auth_data.login.decode() == user
              and auth_data.password.decode() == password)
        return AuthResult(success=ok, handled=False, auth_data=auth_data)
    return authenticator


async def serve(args, directory: Path, stop: asyncio.Event) -> None:
    handler = Sink(directory, args.reject, args.tempfail)
    kwargs = {}
    if args.oauth2_introspection:
        handler = BearerSink(directory, args.reject, args.tempfail, args.oauth2_introspection)
        # PLAIN and LOGIN are offered by aiosmtpd itself; without an authenticator they always fail.
        kwargs = dict(auth_required=True, auth_require_tls=False, auth_exclude_mechanism=["PLAIN", "LOGIN"])
    elif args.auth:
        user, _, password = args.auth.partition(":")
        kwargs = dict(authenticator=make_authenticator(user, password), auth_required=True,
                      auth_require_tls=False)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(handler, hostname="sink.test", decode_data=False, data_size_limit=None,
                     enable_SMTPUTF8=True, **kwargs),
        host="127.0.0.1", port=args.port)
    port = server.sockets[0].getsockname()[1]
    print(json.dumps({"port": port, "dir": str(directory)}), flush=True)
    await stop.wait()
    server.close()
    await server.wait_closed()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--dir")
    parser.add_argument("--reject", help="regex: recipients answered with 550")
    parser.add_argument("--tempfail", help="regex: recipients answered with 451")
    parser.add_argument("--auth", help="USER:PASSWORD required via AUTH")
    parser.add_argument("--oauth2-introspection", help="require AUTH XOAUTH2/OAUTHBEARER, checked at this URL")
    args = parser.parse_args()

    # A parent that blocked signals in its thread (Swift's Process from a dispatch thread does)
    # passes the mask on; unblocked here, the stop signals work for us and our children.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, signal.valid_signals())
    own_dir = args.dir is None
    directory = Path(args.dir or tempfile.mkdtemp(prefix="sb-smtp-"))
    directory.mkdir(parents=True, exist_ok=True)
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        loop.add_signal_handler(sig, stop.set)
    # The parent closing our stdin (even by dying) is the stop signal, so nothing leaks.
    threading.Thread(target=lambda: (sys.stdin.buffer.read(), loop.call_soon_threadsafe(stop.set)),
                     daemon=True).start()
    try:
        loop.run_until_complete(serve(args, directory, stop))
    finally:
        loop.close()
        if own_dir:
            shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
