#!/usr/bin/env python3
"""A PostgreSQL primary with a synchronous streaming standby on loopback, for failover tests.

`ReplicatedPostgres().start()` makes a primary (e2e/support/postgres_server.py, with
`synchronous_standby_names = '*'` and `synchronous_commit = on`: a commit returns once the standby has
the WAL), then the standby from it with `pg_basebackup -R` (streaming, `standby.signal`), and waits
until the primary reports the standby as `sync`. `kill_primary()` SIGKILLs the primary's postmaster (its
backends exit on postmaster death); `promote()` runs `pg_promote()` on the standby and returns once it
accepts writes. This is what Patroni does in production, by hand.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time

from postgres_server import PORT_ATTEMPTS, PostgresServer, free_port


class StandbyServer(PostgresServer):
    """A hot standby streaming from `primary`, made with pg_basebackup."""

    def __init__(self, primary: PostgresServer):
        super().__init__()
        self.primary = primary

    def start(self) -> "StandbyServer":
        if self.account:
            os.chown(self.dir, self.account.pw_uid, self.account.pw_gid)
        self._make_certificate()
        env = dict(os.environ, LC_ALL="C.UTF-8", LANG="C.UTF-8")
        subprocess.run(
            [str(self.bin / "pg_basebackup"), "-D", str(self.data), "-h", "127.0.0.1", "-p", str(self.primary.port),
             "-U", self.primary.user, "-X", "stream", "-R", "-c", "fast", "--no-password"],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, preexec_fn=self._as_user(), env=env, cwd=self.dir)
        self.settings = ["hot_standby=on", "primary_conninfo="
                         f"host=127.0.0.1 port={self.primary.port} user={self.primary.user} application_name=standby"]
        last_error = ""
        for _ in range(PORT_ATTEMPTS):
            self.port = free_port()
            if self._launch(env):
                return self
            last_error = self._stop_process()
        self.stop()
        raise RuntimeError(f"standby did not start: {last_error}")


class ReplicatedPostgres:
    def __init__(self):
        self.primary = PostgresServer()
        self.primary.settings = ["synchronous_standby_names=*", "synchronous_commit=on", "wal_level=replica",
                                 "max_wal_senders=5"]
        self.standby: StandbyServer | None = None

    def start(self) -> "ReplicatedPostgres":
        self.primary.start()
        self.standby = StandbyServer(self.primary).start()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.psql(self.primary, "SELECT sync_state FROM pg_stat_replication").strip() == "sync":
                return self
            time.sleep(0.1)
        raise RuntimeError("the standby never became synchronous")

    def psql(self, server: PostgresServer, sql: str, database: str = "postgres") -> str:
        return subprocess.run(
            [str(server.bin / "psql"), "-h", "127.0.0.1", "-p", str(server.port), "-U", server.user, "-d", database,
             "-v", "ON_ERROR_STOP=1", "-Atq", "-c", sql],
            check=True, capture_output=True, text=True).stdout

    def url(self, database: str) -> str:
        """libpq's multi-host URL: the primary first, then the standby; only a writable one will do."""
        return (f"postgres://{self.primary.user}@127.0.0.1:{self.primary.port},127.0.0.1:{self.standby.port}/{database}"
                "?target_session_attrs=read-write")

    def kill_primary(self):
        process = self.primary.process
        if process and process.poll() is None:
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)

    def promote(self):
        self.psql(self.standby, "SELECT pg_promote(true, 30)")
        deadline = time.monotonic() + 30
        while self.psql(self.standby, "SELECT pg_is_in_recovery()").strip() != "f":
            if time.monotonic() > deadline:
                raise RuntimeError("the standby was not promoted")
            time.sleep(0.05)

    def stop(self):
        threads = [threading.Thread(target=s.stop) for s in (self.primary, self.standby) if s]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
