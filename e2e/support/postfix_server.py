#!/usr/bin/env python3
"""A throw-away Postfix (Debian's `postfix` package) in a temporary directory, for tests.

Its own `main.cf` and `master.cf`, queue, data directory and log file live in the directory; its
SMTP server listens on 127.0.0.1 and a free port; every mail for `example.com` leaves through
Postfix's `lmtp` client to the LMTP target given (the gateway), as `transport_maps` says in a real
set-up. Mail for anywhere else is discarded (so bounces go nowhere). Retries are quick
(`queue_run_delay`, backoff 1–2 s), so a deferred message is tried again within seconds.

The master runs as root and its daemons as the `postfix` user the package creates (Postfix needs
root to start; CI and these tests run as root). Nothing of the machine's own mail set-up is used or
changed: no /etc/postfix/main.cf is needed.

    server = PostfixServer("inet:127.0.0.1:2424").start()
    server.send("ann@customer.example", ["support@example.com"], raw)
    server.log()          # the maillog: "status=sent (250 2.0.0 stored as message 12)"
    server.queue()        # what is still queued (deferred), from `postqueue -j`
    server.stop()
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import smtplib
import socket
import subprocess
import tempfile
import time
from pathlib import Path

READY_TIMEOUT = 30.0


def unavailable() -> str | None:
    """Why Postfix cannot run here, or None when it can."""
    if not shutil.which("postfix") or not Path("/usr/lib/postfix/sbin/master").exists():
        return "Postfix is not installed (apt-get install postfix)"
    if os.geteuid() != 0:
        return "Postfix's master must be started as root (its daemons then run as the postfix user)"
    try:
        pwd.getpwnam("postfix")
    except KeyError:
        return "the postfix user is missing (the Debian package creates it)"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostfixServer:
    def __init__(self, lmtp_target: str, domain: str = "example.com"):
        self.lmtp_target = lmtp_target
        self.domain = domain
        self.dir = Path(tempfile.mkdtemp(prefix="sb-postfix-"))
        self.etc = self.dir / "etc"
        self.port = 0

    def _write_config(self):
        self.etc.mkdir()
        (self.dir / "spool").mkdir()
        data = self.dir / "data"
        data.mkdir()
        account = pwd.getpwnam("postfix")
        os.chown(data, account.pw_uid, account.pw_gid)
        os.chmod(self.dir, 0o755)
        self.port = free_port()
        d = self.dir
        (self.etc / "main.cf").write_text(f"""\
compatibility_level = 3.6
queue_directory = {d}/spool
data_directory = {d}/data
meta_directory = /etc/postfix
mail_owner = postfix
setgid_group = postdrop
maillog_file = {d}/maillog
maillog_file_prefixes = {d}
myhostname = mx.test
mydomain = test
myorigin = mx.test
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mydestination =
mynetworks = 127.0.0.0/8
relay_domains = {self.domain}
transport_maps = inline:{{ {self.domain}=lmtp:{self.lmtp_target} }}
default_transport = discard:nothing leaves this test
alias_maps =
alias_database =
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtputf8_enable = yes
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
lmtp_connection_cache_on_demand = yes
""")
        master = Path("/etc/postfix/master.cf")
        if not master.exists():
            master = Path("/usr/share/postfix/master.cf.dist")
        lines = []
        for line in master.read_text().splitlines():
            if line.startswith("smtp ") and " inet " in line:
                line = f"127.0.0.1:{self.port} inet n - n - - smtpd"
            lines.append(line)
        (self.etc / "master.cf").write_text("\n".join(lines) + "\n")
        # No chroot: the daemons read this directory's files as they are.
        self._postfix_cmd(["postconf", "-c", str(self.etc), "-F", "*/*/chroot = n"])

    def _postfix_cmd(self, argv: list[str], check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(argv, capture_output=True, text=True, timeout=60, check=check)

    def start(self) -> "PostfixServer":
        self._write_config()
        result = self._postfix_cmd(["postfix", "-c", str(self.etc), "start"], check=False)
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.1)
        log = self.log()
        self.stop()
        raise RuntimeError(f"postfix did not start ({result.returncode}): {result.stderr}\n{log[-3000:]}")

    def send(self, sender: str, recipients: list[str], raw: bytes) -> dict:
        """Submits over SMTP; the refused recipients (as smtplib reports them)."""
        with smtplib.SMTP("127.0.0.1", self.port, timeout=30) as client:
            return client.sendmail(sender, recipients, raw)

    def log(self) -> str:
        try:
            return (self.dir / "maillog").read_text(errors="replace")
        except OSError:
            return ""

    def queue(self) -> list[dict]:
        """The queue (`postqueue -j`): one entry per message still there."""
        result = self._postfix_cmd(["postqueue", "-c", str(self.etc), "-j"], check=False)
        return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]

    def flush(self):
        """Tries every deferred message now (`postqueue -f`)."""
        self._postfix_cmd(["postqueue", "-c", str(self.etc), "-f"], check=False)

    def stop(self):
        if self.etc.exists():
            self._postfix_cmd(["postfix", "-c", str(self.etc), "stop"], check=False)
            # The master waits for its children; give it a moment before removing their files.
            deadline = time.monotonic() + 10
            pid_file = self.dir / "spool" / "pid" / "master.pid"
            while pid_file.exists() and time.monotonic() < deadline:
                time.sleep(0.1)
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
