#!/usr/bin/env python3
"""A throw-away pgbouncer on loopback in front of a test PostgreSQL (e2e/support/postgres_server.py).

`PgBouncer(postgres, databases)` writes `pgbouncer.ini` and `userlist.txt` into a fresh temporary
directory, listens on 127.0.0.1 and a free port, and is stopped (SIGINT) with `stop()`. `databases` maps a
name clients use to `(real database, pool_mode)`, so one pgbouncer can offer the same database in
`transaction` mode (the store's pool) and in `session` mode (the connections that LISTEN or hold an
advisory lock). Authentication is `trust` (loopback only), users from `userlist.txt`; the admin console
(database `pgbouncer`) answers `SHOW POOLS`/`SHOW STATS` to the PostgreSQL superuser.

pgbouncer refuses to run as root: as root it runs as the same unprivileged account as the test
PostgreSQL (`sbtest`).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from postgres_server import PostgresServer, _accepts, free_port

READY_TIMEOUT = 15.0


def binary() -> str | None:
    for candidate in (shutil.which("pgbouncer"), "/usr/sbin/pgbouncer"):
        if candidate and os.path.exists(candidate):
            return candidate
    return None


class PgBouncer:
    def __init__(self, postgres: PostgresServer, databases: dict[str, tuple[str, str]], default_pool_size: int = 10):
        self.postgres = postgres
        self.databases = databases
        self.pool_size = default_pool_size
        self.dir = Path(tempfile.mkdtemp(prefix="sb-pgbouncer-"))
        self.port = 0
        self.process: subprocess.Popen | None = None

    def url(self, name: str) -> str:
        return f"postgres://{self.postgres.user}@127.0.0.1:{self.port}/{name}"

    def _write_config(self):
        lines = ["[databases]"]
        for name, (real, mode) in self.databases.items():
            lines.append(f"{name} = host=127.0.0.1 port={self.postgres.port} dbname={real} pool_mode={mode}")
        lines += [
            "[pgbouncer]",
            "listen_addr = 127.0.0.1",
            f"listen_port = {self.port}",
            "unix_socket_dir =",
            "auth_type = trust",
            f"auth_file = {self.dir / 'userlist.txt'}",
            f"admin_users = {self.postgres.user}",
            "pool_mode = transaction",
            "max_client_conn = 1000",
            f"default_pool_size = {self.pool_size}",
            # Loopback in the tests: no TLS on either side (a client asking with sslmode=prefer falls
            # back to plain).
            "server_tls_sslmode = disable",
            "client_tls_sslmode = disable",
            "log_connections = 0",
            "log_disconnections = 0",
        ]
        (self.dir / "pgbouncer.ini").write_text("\n".join(lines) + "\n")
        (self.dir / "userlist.txt").write_text(f'"{self.postgres.user}" ""\n')
        account = self.postgres.account
        if account:
            for path in (self.dir, self.dir / "pgbouncer.ini", self.dir / "userlist.txt"):
                os.chown(path, account.pw_uid, account.pw_gid)

    def start(self) -> "PgBouncer":
        exe = binary()
        if not exe:
            raise RuntimeError("pgbouncer not installed: apt-get install pgbouncer")
        for _ in range(5):
            self.port = free_port()
            self._write_config()
            with open(self.dir / "stderr", "wb") as log:
                self.process = subprocess.Popen(
                    [exe, str(self.dir / "pgbouncer.ini")], stdout=subprocess.DEVNULL, stderr=log,
                    preexec_fn=self.postgres._as_user(), cwd=self.dir)
            deadline = time.monotonic() + READY_TIMEOUT
            while time.monotonic() < deadline and self.process.poll() is None:
                if _accepts(self.port):
                    return self
                time.sleep(0.05)
            self._stop_process()
        raise RuntimeError(f"pgbouncer did not start: {self.log()}")

    def log(self) -> str:
        try:
            return (self.dir / "stderr").read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    def admin(self, command: str) -> list[dict[str, str]]:
        """Runs a `SHOW …` on the admin console; the rows as dicts."""
        out = subprocess.run(
            [str(self.postgres.bin / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", self.postgres.user,
             "-d", "pgbouncer", "-A", "-F", "\t", "-P", "footer=off", "-c", command],
            check=True, capture_output=True, text=True).stdout.splitlines()
        header = out[0].split("\t")
        return [dict(zip(header, line.split("\t"))) for line in out[1:]]

    def _stop_process(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def stop(self):
        self._stop_process()
        shutil.rmtree(self.dir, ignore_errors=True)
