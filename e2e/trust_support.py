"""What the trust tests (issue 21) share: the command line run against a gateway's configuration,
console sign-in over HTTP, an independent implementation of the audit chain's hash, and gateways on
a real PostgreSQL (e2e/support/postgres_server.py)."""

from __future__ import annotations

import glob
import hashlib
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import requests
import yaml

from conftest import AGENTS, BIN, Gateway, base_config

SUPPORT = Path(__file__).resolve().parent / "support"
HAVE_POSTGRES = bool(glob.glob("/usr/lib/postgresql/*/bin/postgres"))


def cli(gw: Gateway, *args: str, stdin: str | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    """`switchboard ARGS --config <the gateway's file>` in the gateway's directory and environment."""
    return subprocess.run([BIN, *args, "--config", str(gw.config_path)], cwd=gw.workdir, env=gw.env, input=stdin,
                          capture_output=True, text=True, timeout=timeout)


def set_password(gw: Gateway, agent: str, password: str):
    r = cli(gw, "agents", "passwd", agent, stdin=password + "\n")
    assert r.returncode == 0, r.stderr


def sign_in(gw: Gateway, **fields) -> requests.Response:
    """POST /console/session on a fresh session (cookies kept in `response.session`)."""
    session = requests.Session()
    r = session.post(gw.url + "/console/session", json=fields, timeout=30)
    r.session = session
    return r


def sign_out(r: requests.Response) -> requests.Response:
    csrf = r.json()["csrf_token"]
    url = r.url
    return r.session.delete(url, headers={"X-CSRF-Token": csrf}, timeout=10)


def audit(gw: Gateway, agent="marta", **params) -> list[dict]:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    r = gw.api(agent, "GET", "audit?limit=1000" + (f"&{query}" if query else ""))
    assert r.status_code == 200, r.text
    return r.json()["entries"]


def chain_hash(entry: dict) -> str:
    """The audit chain's hash, implemented from SECURITY.md's description (not from the Swift code)."""
    def field(value):
        if value is None:
            return b"-,"
        data = str(value).encode()
        return str(len(data)).encode() + b":" + data + b","
    out = b"switchboard-audit-1\n"
    for value in (entry["seq"], entry["at_ms"], entry.get("actor"), entry["action"], entry.get("subject"),
                  entry.get("source"), len(entry["details"])):
        out += field(value)
    for key in sorted(entry["details"], key=lambda k: k.encode()):
        out += field(key) + field(entry["details"][key])
    out += field(entry["prev_hash"])
    return hashlib.sha256(out).hexdigest()


# ---------------------------------------------------------------------------------------------
# PostgreSQL


class PostgresGateway(Gateway):
    """conftest's Gateway, with `storage: {postgres: URL}` instead of a SQLite file."""

    def __init__(self, workdir, config, env, tokens, secret):
        sqlite_free = dict(config, storage={"sqlite": str(workdir / "unused.sqlite")})
        super().__init__(workdir, sqlite_free, env, tokens, secret)
        self.config = config
        self.db_path = None
        self.config_path.write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True))


@pytest.fixture(scope="module")
def postgres():
    if not HAVE_POSTGRES:
        pytest.skip("PostgreSQL server binaries not installed: apt-get install postgresql")
    sys.path.insert(0, str(SUPPORT))
    from postgres_server import PostgresServer
    server = PostgresServer().start()
    yield server
    server.stop()


def psql(postgres, database: str, sql: str, *extra: str) -> str:
    r = subprocess.run(
        [str(postgres.bin / "psql"), "-h", "127.0.0.1", "-p", str(postgres.port), "-U", postgres.user, "-d", database,
         "-v", "ON_ERROR_STOP=1", "-q", "-At", *extra, "-c", sql], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return r.stdout


def pg_dump(postgres, database: str) -> bytes:
    r = subprocess.run(
        [str(postgres.bin / "pg_dump"), "-h", "127.0.0.1", "-p", str(postgres.port), "-U", postgres.user, database],
        capture_output=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return r.stdout


@pytest.fixture
def pg_gateway(tmp_path, receiver, postgres):
    """Factory like conftest's `gateway`, on a fresh PostgreSQL database: `gw = pg_gateway({...})`;
    `gw.database` names the database."""
    started: list[Gateway] = []

    def make(config_overrides: dict | None = None, env: dict | None = None) -> Gateway:
        from conftest import deep_merge
        name = "sb_" + uuid.uuid4().hex[:12]
        psql(postgres, "postgres", f"CREATE DATABASE {name}")
        workdir = tmp_path / f"pg{len(started)}"
        workdir.mkdir()
        config = deep_merge(base_config(workdir, receiver.url), config_overrides or {})
        config["storage"] = {"postgres": f"postgres://{postgres.user}@127.0.0.1:{postgres.port}/{name}"}
        tokens = {a: f"tok-{a}-{uuid.uuid4().hex}" for a in AGENTS}
        secret = "whsec-" + uuid.uuid4().hex
        environment = {k: v for k, v in os.environ.items() if not k.startswith("SB_TOKEN_")}
        environment.update({f"SB_TOKEN_{a.upper()}": t for a, t in tokens.items()})
        environment["SHOP_CHAT_SECRET"] = secret
        environment.update(env or {})
        gw = PostgresGateway(workdir, config, environment, tokens, secret)
        gw.database = name
        started.append(gw)
        return gw.start()

    yield make
    for gw in started:
        gw.stop()
        gw.session.close()


# ---------------------------------------------------------------------------------------------
# A gateway on a port chosen beforehand (single sign-on's redirect URI names it)


def free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class FixedPortGateway(Gateway):
    """conftest's Gateway listening on `server.port` as configured (not `--port 0`)."""

    def start(self):
        import queue
        import threading
        import time
        from conftest import READY_TIMEOUT
        self.starts += 1
        self.stderr_path = self.workdir / f"gateway-{self.starts}.stderr"
        self._stderr = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen(
            [BIN, "serve", "--config", str(self.config_path)], cwd=self.workdir, env=self.env, stdout=subprocess.PIPE,
            stderr=self._stderr, start_new_session=True)
        lines: queue.Queue = queue.Queue()

        def pump(stream):
            for line in iter(stream.readline, b""):
                lines.put(line.decode(errors="replace").rstrip("\n"))
            lines.put(None)

        threading.Thread(target=pump, args=(self.proc.stdout,), daemon=True).start()
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            try:
                line = lines.get(timeout=0.5)
            except queue.Empty:
                continue
            if line is None:
                self.proc.wait(timeout=5)
                raise AssertionError(f"gateway exited ({self.proc.returncode}) before ready; stderr:\n{self.stderr()}")
            if line.startswith("switchboard listening on "):
                self.url = line[len("switchboard listening on "):].strip()
                return self
        self.kill()
        raise AssertionError(f"gateway not ready after {READY_TIMEOUT}s; stderr:\n{self.stderr()}")


@pytest.fixture
def fixed_port_gateway(tmp_path, receiver):
    """Factory like conftest's `gateway`, listening on a port chosen beforehand, with
    `server.public_url` naming it."""
    started: list[Gateway] = []

    def make(config_overrides: dict | None = None, env: dict | None = None) -> Gateway:
        from conftest import deep_merge
        port = free_port()
        workdir = tmp_path / f"fixed{len(started)}"
        workdir.mkdir()
        config = deep_merge(base_config(workdir, receiver.url), config_overrides or {})
        config["server"].update({"port": port, "public_url": f"http://127.0.0.1:{port}"})
        tokens = {a: f"tok-{a}-{uuid.uuid4().hex}" for a in AGENTS}
        secret = "whsec-" + uuid.uuid4().hex
        environment = {k: v for k, v in os.environ.items() if not k.startswith("SB_TOKEN_")}
        environment.update({f"SB_TOKEN_{a.upper()}": t for a, t in tokens.items()})
        environment["SHOP_CHAT_SECRET"] = secret
        environment.update(env or {})
        gw = FixedPortGateway(workdir, config, environment, tokens, secret)
        started.append(gw)
        return gw.start()

    yield make
    for gw in started:
        gw.stop()
        gw.session.close()
