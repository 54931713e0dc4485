"""Pytest fixtures for real mail servers on loopback, each started per test on free ports and removed
afterwards (processes stopped, temporary directories deleted):

- `smtp_sink`: aiosmtpd (e2e/support/smtp_sink.py) that keeps every message it receives;
  `smtp_sink_factory(reject=..., tempfail=..., auth=...)` for one that refuses some recipients;
  `smtp_sink_factory(oauth2_introspection=URL)` for one that requires AUTH XOAUTH2/OAUTHBEARER.
- `dovecot`: Dovecot IMAP (e2e/support/dovecot_server.py) with one user and an empty INBOX;
  `dovecot_factory(tls=True)` for one that also speaks imaps:// and STARTTLS with a self-signed cert;
  `dovecot_factory(oauth2_introspection=URL)` for one that also accepts XOAUTH2/OAUTHBEARER logins
  (its `oauth2` passdb asks URL whether a token is active: see support/oauth2_provider.py).

conftest.py imports them: `from mailservers import *  # noqa: F401,F403` (or `pytest_plugins`).
Both servers run as child processes that clean up when their stdin closes, so even a killed test run
leaves nothing behind.

Dovecot delays every login from 127.0.0.1 for a while after a refused one: try wrong passwords last.
"""

from __future__ import annotations

import email
import email.policy
import json
import subprocess
import sys
import time
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

import pytest

SUPPORT = Path(__file__).resolve().parent / "support"
sys.path.insert(0, str(SUPPORT))
from dovecot_server import DovecotServer  # noqa: E402

__all__ = ["smtp_sink", "smtp_sink_factory", "dovecot", "dovecot_factory", "SMTPSink", "ReceivedMail",
           "DovecotServer"]

START_TIMEOUT = 30.0


class _Helper:
    """A support script as a child process: its JSON ready line, and a clean stop."""

    def __init__(self, script: str, args: list[str]):
        self.process = subprocess.Popen([sys.executable, str(SUPPORT / script), *args], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        line = self.process.stdout.readline()
        if not line:
            error = self.process.stderr.read().decode(errors="replace")
            self.process.wait()
            raise RuntimeError(f"{script} did not start: {error.strip()[-2000:]}")
        self.info = json.loads(line)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.stdin.close()  # the script's stop signal: it cleans up, then exits
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for stream in (self.process.stdout, self.process.stderr):
            stream.close()


@dataclass
class ReceivedMail:
    raw: bytes                 # the DATA bytes as the server received them
    message: EmailMessage      # parsed with email.policy.default
    mail_from: str
    rcpt_tos: list[str]
    auth_login: str | None
    auth_mechanism: str | None = None


class SMTPSink:
    def __init__(self, reject: str | None = None, tempfail: str | None = None, auth: str | None = None,
                 oauth2_introspection: str | None = None):
        args = []
        for flag, value in (("--reject", reject), ("--tempfail", tempfail), ("--auth", auth),
                            ("--oauth2-introspection", oauth2_introspection)):
            if value:
                args += [flag, value]
        self._helper = _Helper("smtp_sink.py", args)
        self.port: int = self._helper.info["port"]
        self.dir = Path(self._helper.info["dir"])

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def messages(self) -> list[ReceivedMail]:
        """Every message received so far, in arrival order."""
        result = []
        for meta_path in sorted(self.dir.glob("*.json")):
            meta = json.loads(meta_path.read_text())
            raw = meta_path.with_suffix(".eml").read_bytes()
            result.append(ReceivedMail(raw=raw, message=email.message_from_bytes(raw, policy=email.policy.default),
                                       mail_from=meta["mail_from"], rcpt_tos=meta["rcpt_tos"],
                                       auth_login=meta.get("auth_login"), auth_mechanism=meta.get("auth_mechanism")))
        return result

    def wait_for(self, count: int, timeout: float = 10.0) -> list[ReceivedMail]:
        """Waits until at least `count` messages have arrived; returns them all."""
        deadline = time.monotonic() + timeout
        while True:
            got = self.messages()
            if len(got) >= count:
                return got
            if time.monotonic() >= deadline:
                raise AssertionError(f"SMTP sink got {len(got)} message(s) within {timeout}s, expected {count}")
            time.sleep(0.05)

    def stop(self) -> None:
        self._helper.stop()


class _Dovecot(DovecotServer):
    """DovecotServer run by the script in a child process; mailbox helpers as in DovecotServer
    (`deliver(raw)`, `flags()`, `unseen_count()`, `imap()`, `url`, `imaps_url`, `ca_file`)."""

    def __init__(self, tls: bool, user: str, password: str, oauth2_introspection: str | None = None):
        args = ["--user", user, "--password", password] + (["--tls"] if tls else [])
        if oauth2_introspection:
            args += ["--oauth2-introspection", oauth2_introspection]
        helper = _Helper("dovecot_server.py", args)
        attached = DovecotServer.attached(helper.info)
        self.__dict__.update(attached.__dict__)
        self._helper = helper

    def wait_seen(self, count: int, timeout: float = 10.0) -> dict[int, set[str]]:
        """Waits until at least `count` messages carry \\Seen; returns UID → flags."""
        deadline = time.monotonic() + timeout
        while True:
            flags = self.flags()
            if sum(1 for f in flags.values() if "\\Seen" in f) >= count:
                return flags
            if time.monotonic() >= deadline:
                raise AssertionError(f"expected {count} seen message(s) within {timeout}s; flags: {flags}")
            time.sleep(0.1)

    def start(self):  # started by the script already
        return self

    def stop(self) -> None:
        self._helper.stop()


@pytest.fixture
def smtp_sink_factory():
    sinks: list[SMTPSink] = []

    def make(reject: str | None = None, tempfail: str | None = None, auth: str | None = None,
             oauth2_introspection: str | None = None) -> SMTPSink:
        sinks.append(SMTPSink(reject=reject, tempfail=tempfail, auth=auth, oauth2_introspection=oauth2_introspection))
        return sinks[-1]

    yield make
    for sink in sinks:
        sink.stop()


@pytest.fixture
def smtp_sink(smtp_sink_factory) -> SMTPSink:
    return smtp_sink_factory()


@pytest.fixture
def dovecot_factory():
    servers: list[_Dovecot] = []

    def make(tls: bool = False, user: str = "support@example.com", password: str = "secret",
             oauth2_introspection: str | None = None) -> _Dovecot:
        servers.append(_Dovecot(tls, user, password, oauth2_introspection))
        return servers[-1]

    yield make
    for server in servers:
        server.stop()


@pytest.fixture
def dovecot(dovecot_factory):
    return dovecot_factory()
