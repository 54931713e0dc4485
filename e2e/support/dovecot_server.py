#!/usr/bin/env python3
"""A throw-away Dovecot IMAP server on loopback, for tests.

Run as a script, it starts Dovecot in the foreground with a config in a fresh temporary directory, prints
one JSON line (`{"port", "imaps_port", "maildir", "dir", "user", "password"}`) once the server greets
clients, and stops it and removes the directory when stdin closes or on SIGTERM/SIGINT. Importing it gives
`DovecotServer`, the same thing as an object, for pytest fixtures.

    python3 e2e/support/dovecot_server.py --user support@example.com --password secret [--tls]
        [--oauth2-introspection http://127.0.0.1:PORT/introspect]

With --oauth2-introspection the user may also log in with SASL XOAUTH2 or OAUTHBEARER: Dovecot's
`oauth2` passdb asks that URL (RFC 7662 introspection, `introspection_mode = post`) whether the
bearer token is active and whose it is. Password logins keep working beside it.

Nothing outside the temporary directory is touched: no system config, no system services. As root,
mail is owned by `nobody` because Dovecot refuses to serve mailboxes as UID 0; as any other user,
every Dovecot process runs as that user.
"""

from __future__ import annotations

import argparse
import imaplib
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

DOVECOT = os.environ.get("DOVECOT_BIN") or shutil.which("dovecot") or "/usr/sbin/dovecot"
READY_TIMEOUT = 20.0
# A port picked by binding port 0 can be taken by someone else before Dovecot binds it.
PORT_ATTEMPTS = 5


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _greets(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
            s.settimeout(2)
            return s.recv(64).startswith(b"* OK")
    except OSError:
        return False


class DovecotServer:
    """One Dovecot instance with a single user whose INBOX is a Maildir in `dir`."""

    def __init__(self, user: str = "support@example.com", password: str = "secret", tls: bool = False,
                 directory: str | None = None, oauth2_introspection: str | None = None):
        self.user = user
        self.password = password
        self.tls = tls
        self.oauth2_introspection = oauth2_introspection
        self._own_dir = directory is None
        self.dir = Path(directory or tempfile.mkdtemp(prefix="sb-dovecot-"))
        self.port = 0
        self.imaps_port = 0
        self.process: subprocess.Popen | None = None
        if os.geteuid() == 0:
            nobody = pwd.getpwnam("nobody")
            self.mail_uid, self.mail_gid = nobody.pw_uid, nobody.pw_gid
            self.internal_user, self.login_user = "dovecot", "dovenull"
        else:
            me = pwd.getpwuid(os.geteuid())
            self.mail_uid, self.mail_gid = me.pw_uid, me.pw_gid
            self.internal_user = self.login_user = me.pw_name
        self.home = self.dir / "home"
        self.maildir = self.home / "Maildir"

    @classmethod
    def attached(cls, info: dict) -> "DovecotServer":
        """A handle on a server that the script started (its JSON line): the mailbox helpers work,
        start/stop belong to the script's process."""
        server = cls(info["user"], info["password"], tls=bool(info.get("imaps_port")), directory=info["dir"])
        server._own_dir = False
        server.port, server.imaps_port = info["port"], info["imaps_port"]
        return server

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> "DovecotServer":
        # Mail processes run as the mail user and must reach the maildir through the temp dir.
        os.chmod(self.dir, 0o755)
        for sub in ("new", "cur", "tmp"):
            (self.maildir / sub).mkdir(parents=True, exist_ok=True)
        for path in (self.home, self.maildir, *(self.maildir / s for s in ("new", "cur", "tmp"))):
            self._chown(path)
        if self.tls:
            self._make_cert()
        (self.dir / "passwd").write_text(
            f"{self.user}:{{PLAIN}}{self.password}:{self.mail_uid}:{self.mail_gid}::{self.home}::\n")
        if self.oauth2_introspection:
            # Nothing cached: a revoked token is refused at the next login.
            (self.dir / "oauth2.conf.ext").write_text(
                f"introspection_mode = post\nintrospection_url = {self.oauth2_introspection}\n"
                "username_attribute = username\nactive_attribute = active\nactive_value = true\n"
                "force_introspection = yes\n")
        last_error = ""
        for _ in range(PORT_ATTEMPTS):
            self.port = free_port()
            self.imaps_port = free_port() if self.tls else 0
            (self.dir / "dovecot.conf").write_text(self._config())
            log = self.dir / "dovecot.log"
            log.write_text("")
            self.process = subprocess.Popen([DOVECOT, "-F", "-c", str(self.dir / "dovecot.conf")],
                                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                            stderr=open(self.dir / "stderr.log", "wb"), start_new_session=True)
            deadline = time.monotonic() + READY_TIMEOUT
            while time.monotonic() < deadline and self.process.poll() is None:
                if _greets(self.port) and (not self.tls or _port_open(self.imaps_port)):
                    return self
                time.sleep(0.05)
            last_error = (self.dir / "stderr.log").read_text(errors="replace") + log.read_text(errors="replace")
            self._kill()
            if "in use" not in last_error:
                break
        self.stop()
        raise RuntimeError(f"dovecot did not start: {last_error.strip()[-2000:]}")

    def stop(self) -> None:
        self._kill()
        if self._own_dir:
            shutil.rmtree(self.dir, ignore_errors=True)

    def _kill(self) -> None:
        if self.process is None:
            return
        # Dovecot's master stops its children on SIGTERM; the group kill is for a master that hangs.
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=5)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.process.wait()
        self.process = None

    def __enter__(self) -> "DovecotServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- mailbox helpers -------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"imap://127.0.0.1:{self.port}/INBOX"

    @property
    def imaps_url(self) -> str:
        return f"imaps://127.0.0.1:{self.imaps_port}/INBOX"

    @property
    def ca_file(self) -> str:
        """The self-signed certificate (with --tls), to trust as a CA."""
        return str(self.dir / "cert.pem")

    def deliver(self, raw: bytes) -> Path:
        """Drops a message into INBOX the way an MDA does (tmp/ then rename into new/): it has no flags."""
        name = f"{int(time.time())}.{uuid.uuid4().hex}.{socket.gethostname()}"
        tmp = self.maildir / "tmp" / name
        tmp.write_bytes(raw)
        self._chown(tmp)
        target = self.maildir / "new" / name
        os.rename(tmp, target)
        return target

    def imap(self) -> imaplib.IMAP4:
        client = imaplib.IMAP4("127.0.0.1", self.port)
        client.login(self.user, self.password)
        return client

    def flags(self) -> dict[int, set[str]]:
        """UID → flags of every INBOX message, read over IMAP without changing anything (EXAMINE)."""
        client = self.imap()
        try:
            client.select("INBOX", readonly=True)
            status, data = client.uid("FETCH", "1:*", "(FLAGS)")
            result: dict[int, set[str]] = {}
            for item in data if status == "OK" else []:
                if not item:
                    continue
                text = item.decode() if isinstance(item, bytes) else item[0].decode()
                parsed = imaplib.ParseFlags(text.encode())
                uid = int(text.split("UID ", 1)[1].split()[0].rstrip(")")) if "UID " in text else None
                if uid is not None:
                    result[uid] = {f.decode() for f in parsed}
            return result
        finally:
            client.logout()

    def unseen_count(self) -> int:
        return sum(1 for flags in self.flags().values() if "\\Seen" not in flags)

    # -- internals ---------------------------------------------------------------------------

    def _chown(self, path: Path) -> None:
        if os.geteuid() == 0:
            os.chown(path, self.mail_uid, self.mail_gid)

    def _make_cert(self) -> None:
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                        "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                        "-keyout", str(self.dir / "key.pem"), "-out", str(self.dir / "cert.pem")],
                       check=True, capture_output=True)

    def _oauth2_passdb(self) -> str:
        return _oauth2_passdb_block(self.dir) if self.oauth2_introspection else ""

    def _config(self) -> str:
        d = self.dir
        ssl = (f"ssl = yes\nssl_cert = <{d}/cert.pem\nssl_key = <{d}/key.pem\n" if self.tls else "ssl = no\n")
        return f"""# generated by e2e/support/dovecot_server.py
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
info_log_path = {d}/dovecot.log
protocols = imap
listen = 127.0.0.1
{ssl}disable_plaintext_auth = no
auth_mechanisms = plain login{" xoauth2 oauthbearer" if self.oauth2_introspection else ""}
# Tests check refused logins; the default 2 s delay per failure only slows them down. (Dovecot's
# anvil still delays the next logins from 127.0.0.1 by 2 s and more after a failure: test wrong
# passwords last.)
auth_failure_delay = 0
default_internal_user = {self.internal_user}
default_login_user = {self.login_user}
first_valid_uid = 1
mail_location = maildir:~/Maildir
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {d}/passwd
{"  mechanisms = plain login" if self.oauth2_introspection else ""}
}}
{self._oauth2_passdb()}userdb {{
  driver = passwd-file
  args = username_format=%u {d}/passwd
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {self.imaps_port}
  }}
}}
"""


def _oauth2_passdb_block(directory: Path) -> str:
    return f"""passdb {{
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = {directory}/oauth2.conf.ext
}}
"""


def _port_open(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--user", default="support@example.com")
    parser.add_argument("--password", default="secret")
    parser.add_argument("--tls", action="store_true", help="also listen for imaps:// with a self-signed cert")
    parser.add_argument("--dir", help="use this directory instead of a temporary one (kept afterwards)")
    parser.add_argument("--oauth2-introspection", help="also accept XOAUTH2/OAUTHBEARER, checked at this URL")
    args = parser.parse_args()

    # A parent that blocked signals in its thread (Swift's Process from a dispatch thread does)
    # passes the mask on; unblocked here, the stop signals work for us and our children.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, signal.valid_signals())
    server = DovecotServer(args.user, args.password, tls=args.tls, directory=args.dir,
                           oauth2_introspection=args.oauth2_introspection)
    done = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, lambda *_: done.set())
    server.start()
    try:
        print(json.dumps({"port": server.port, "imaps_port": server.imaps_port, "maildir": str(server.maildir),
                          "dir": str(server.dir), "user": server.user, "password": server.password,
                          "mail_uid": server.mail_uid, "mail_gid": server.mail_gid}), flush=True)
        # The parent closing our stdin (even by dying) is the stop signal, so nothing leaks.
        threading.Thread(target=lambda: (sys.stdin.buffer.read(), done.set()), daemon=True).start()
        done.wait()
    finally:
        server.stop()


if __name__ == "__main__":
    main()
