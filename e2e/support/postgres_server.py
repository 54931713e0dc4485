#!/usr/bin/env python3
"""A throw-away PostgreSQL server on loopback, for tests.

Run as a script, it initialises a cluster in a fresh temporary directory (`initdb`), starts `postgres`
on 127.0.0.1 and a free port with its Unix socket inside that directory, prints one JSON line
(`{"port", "url", "user", "dir"}`) once the server accepts connections, and stops it (fast shutdown)
and removes the directory when stdin closes or on SIGTERM/SIGINT. Importing it gives
`PostgresServer`, the same thing as an object, for pytest fixtures.

TLS is on, with a self-signed certificate for `localhost` and 127.0.0.1 made at start (its path is
`ca` in the JSON line), so clients can test `sslmode=require`/`verify-full`; plain connections work too.

    python3 e2e/support/postgres_server.py

Authentication is `trust` (loopback only). fsync stays on: tests see the durability a deployment has.
PostgreSQL refuses to run as root, so as root the cluster belongs to the system user `sbtest`
(created if missing) and every server process runs as that user; as any other user, as that user.
Each test makes its own database (`CREATE DATABASE`) on the one server, so tests run in parallel.
"""

from __future__ import annotations

import glob
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
from pathlib import Path

READY_TIMEOUT = 30.0
PORT_ATTEMPTS = 5
SERVICE_USER = "sbtest"


def bin_dir() -> Path:
    """The newest Debian PostgreSQL binaries (or PG_BIN)."""
    if os.environ.get("PG_BIN"):
        return Path(os.environ["PG_BIN"])
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise SystemExit("PostgreSQL binaries not found: apt-get install postgresql")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def _service_user() -> pwd.struct_passwd | None:
    """The unprivileged account the server runs as when we are root."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(SERVICE_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SERVICE_USER],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return pwd.getpwnam(SERVICE_USER)


class PostgresServer:
    """One PostgreSQL cluster in `dir`, superuser `user`, trust authentication on loopback."""

    def __init__(self, directory: str | None = None):
        self.bin = bin_dir()
        self.account = _service_user()
        self.user = self.account.pw_name if self.account else pwd.getpwuid(os.geteuid()).pw_name
        self._own_dir = directory is None
        self.dir = Path(directory or tempfile.mkdtemp(prefix="sb-postgres-"))
        self.data = self.dir / "data"
        self.port = 0
        self.process: subprocess.Popen | None = None
        # More `-c name=value` settings for the server (replication: e2e/support/postgres_replication.py).
        self.settings: list[str] = []

    @property
    def url(self) -> str:
        return f"postgres://{self.user}@127.0.0.1:{self.port}/postgres"

    def _as_user(self):
        if not self.account:
            return None
        uid, gid = self.account.pw_uid, self.account.pw_gid

        def demote():
            os.setgid(gid)
            os.setuid(uid)
        return demote

    @property
    def certificate(self) -> Path:
        return self.dir / "server.crt"

    def _make_certificate(self):
        key = self.dir / "server.key"
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", str(key), "-out", str(self.certificate), "-days", "7", "-subj", "/CN=localhost",
             "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        os.chmod(key, 0o600)
        os.chmod(self.certificate, 0o644)
        if self.account:
            for path in (key, self.certificate):
                os.chown(path, self.account.pw_uid, self.account.pw_gid)

    def start(self) -> "PostgresServer":
        if self.account:
            os.chown(self.dir, self.account.pw_uid, self.account.pw_gid)
        self._make_certificate()
        env = dict(os.environ, LC_ALL="C.UTF-8", LANG="C.UTF-8")
        subprocess.run(
            [str(self.bin / "initdb"), "-D", str(self.data), "-U", self.user, "--auth=trust", "--encoding=UTF8",
             "--locale=C.UTF-8", "--no-instructions"],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, preexec_fn=self._as_user(), env=env, cwd=self.dir)
        last_error = ""
        for _ in range(PORT_ATTEMPTS):
            self.port = free_port()
            if self._launch(env):
                return self
            last_error = self._stop_process()
        self.stop()
        raise RuntimeError(f"postgres did not start: {last_error}")

    def halt(self):
        """Stops the server (fast shutdown) but keeps its data: clients see the database go away."""
        self._stop_process()

    def resume(self) -> "PostgresServer":
        """Starts a halted server again on the same port with the same data."""
        env = dict(os.environ, LC_ALL="C.UTF-8", LANG="C.UTF-8")
        if not self._launch(env):
            raise RuntimeError(f"postgres did not start again: {self._stop_process()}")
        return self

    def _launch(self, env) -> bool:
        """Starts `postgres` on self.port; True once it accepts connections."""
        self.process = subprocess.Popen(
            [str(self.bin / "postgres"), "-D", str(self.data), "-p", str(self.port), "-c", "listen_addresses=127.0.0.1",
             "-c", f"unix_socket_directories={self.dir}", "-c", "fsync=on", "-c", "max_connections=200",
             "-c", "shared_buffers=32MB", "-c", "logging_collector=off", "-c", "ssl=on",
             "-c", f"ssl_cert_file={self.certificate}", "-c", f"ssl_key_file={self.dir / 'server.key'}"]
            + [arg for setting in self.settings for arg in ("-c", setting)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, preexec_fn=self._as_user(), env=env, cwd=self.dir)
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline and self.process.poll() is None:
            if _accepts(self.port) and self._ready():
                # Keep draining the server log so a full pipe never blocks it.
                threading.Thread(target=self._drain, daemon=True).start()
                return True
            time.sleep(0.1)
        return False

    def _ready(self) -> bool:
        result = subprocess.run(
            [str(self.bin / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port), "-U", self.user, "-d", "postgres"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return result.returncode == 0

    def _drain(self):
        stream = self.process.stderr if self.process else None
        if stream:
            for _ in stream:
                pass

    def _stop_process(self) -> str:
        if not self.process:
            return ""
        errors = ""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # fast shutdown: roll back sessions, checkpoint, exit
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        elif self.process.stderr:
            errors = self.process.stderr.read().decode(errors="replace")[-2000:]
        self.process = None
        return errors

    def stop(self):
        self._stop_process()
        if self._own_dir:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def main() -> int:
    server = PostgresServer()
    # More settings from the environment (scripts/bench-postgres.sh STATEMENTS=1 loads pg_stat_statements).
    server.settings += os.environ.get("SB_POSTGRES_SETTINGS", "").split()
    server.start()
    done = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: done.set())
    print(json.dumps({"port": server.port, "url": server.url, "user": server.user, "dir": str(server.dir),
                      "ca": str(server.certificate)}), flush=True)

    def wait_stdin():
        try:
            while sys.stdin.buffer.read(4096):
                pass
        except OSError:
            pass
        done.set()
    threading.Thread(target=wait_stdin, daemon=True).start()
    done.wait()
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
