"""`switchboard migrate`, `export` and `import` with the real binary: migrate SQLite and PostgreSQL,
move a gateway's SQLite data (written over HTTP) into PostgreSQL, and see the same conversations
through the agent API of a gateway started on PostgreSQL.

Needs Debian's PostgreSQL server binaries (/usr/lib/postgresql/*/bin); skipped without them.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import uuid
from pathlib import Path

import pytest
import yaml

from conftest import ADAPTER, AGENTS, BIN, Gateway, base_config, unique
from test_cluster import database, postgres  # noqa: F401  (fixtures: one PostgreSQL per module)


def write_config(path: Path, storage: dict, receiver_url="http://127.0.0.1:9/") -> Path:
    config = base_config(path.parent, receiver_url)
    config["storage"] = storage
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def run(*args, timeout=60):
    """Runs the binary as an operator would: no gateway secrets in the environment."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SB_TOKEN_")}
    return subprocess.run([BIN, *args], capture_output=True, text=True, timeout=timeout, env=env)


class GatewayOn(Gateway):
    """conftest's Gateway with a given storage, tokens and secret (so two gateways share them)."""

    def __init__(self, workdir, storage, receiver_url, tokens, secret):
        workdir.mkdir(exist_ok=True)
        config = base_config(workdir, receiver_url)
        env = {k: v for k, v in os.environ.items() if not k.startswith("SB_TOKEN_")}
        env.update({f"SB_TOKEN_{a.upper()}": t for a, t in tokens.items()})
        env["SHOP_CHAT_SECRET"] = secret
        super().__init__(workdir, config, env, tokens, secret)
        self.config["storage"] = storage
        self.config_path.write_text(yaml.safe_dump(self.config, sort_keys=False, allow_unicode=True))


def test_migrate_applies_once_on_sqlite_and_postgres(tmp_path, database):
    sqlite = write_config(tmp_path / "sqlite.yaml", {"sqlite": str(tmp_path / "db.sqlite")})
    first = run("migrate", "--config", str(sqlite))
    assert first.returncode == 0, first.stderr
    assert "applied 001-foundation" in first.stdout
    again = run("migrate", "--config", str(sqlite))
    assert again.returncode == 0 and "up to date" in again.stdout, again.stdout + again.stderr

    pg = write_config(tmp_path / "pg.yaml", {"postgres": database})
    first = run("migrate", "--config", str(pg))
    assert first.returncode == 0, first.stderr
    assert "applied 001-initial" in first.stdout
    again = run("migrate", "--config", str(pg))
    assert again.returncode == 0 and "up to date" in again.stdout, again.stdout + again.stderr


def test_migrate_reports_an_unreachable_database_and_a_bad_config(tmp_path):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    down = write_config(tmp_path / "down.yaml", {"postgres": f"postgres://nobody@127.0.0.1:{port}/db"})
    result = run("migrate", "--config", str(down), timeout=30)
    assert result.returncode == 69, result.stdout + result.stderr
    assert "PostgreSQL" in result.stderr

    bad = tmp_path / "bad.yaml"
    write_config(bad, {"sqlite": str(tmp_path / "x.sqlite"), "pool_size": 3})
    result = run("migrate", "--config", str(bad))
    assert result.returncode == 78
    assert f"{bad}:" in result.stderr and "pool_size" in result.stderr, result.stderr


def visible(gw):
    """What a supervisor sees: the list and every conversation's view, by id."""
    listing = gw.conversations("marta")
    details = {c["id"]: gw.get_json("marta", f"conversations/{c['id']}") for c in listing}
    return listing, details


def test_move_a_gateway_from_sqlite_to_postgres(tmp_path, receiver, database):
    tokens = {a: f"tok-{a}-{uuid.uuid4().hex}" for a in AGENTS}
    secret = "whsec-" + uuid.uuid4().hex
    old = GatewayOn(tmp_path / "old", {"sqlite": str(tmp_path / "old" / "db.sqlite")}, receiver.url, tokens, secret).start()
    try:
        ids = [old.ingest(unique("m"), f"cust-{i}@example.com", f"message {i} — ñ \"quoted\"") for i in range(6)]
        ids.append(old.ingest(unique("m"), "cust-0@example.com", "second from customer 0"))
        conv = old.conversation_of(ids[0])
        reply = old.api(conv["owner"], "POST", f"conversations/{conv['id']}/replies", json={"body": "on it"})
        assert reply.status_code == 202, reply.text
        old.wait_delivery(conv["id"], reply.json()["id"], "delivered")
        assert old.api(conv["owner"], "POST", f"conversations/{conv['id']}/notes", json={"body": "VIP"}).status_code in (200, 201)
        before = visible(old)

        # Exported while the gateway runs: one consistent snapshot.
        dump = tmp_path / "move.jsonl"
        exported = run("export", "--config", str(old.config_path), "--out", str(dump), "--progress-every", "1")
        assert exported.returncode == 0, exported.stderr
        assert "export: messages" in exported.stderr  # progress lines
        header = json.loads(dump.read_text().splitlines()[0])
        assert header["format"] == "switchboard-dump" and header["source"] == "sqlite"
        assert {t["name"]: t["rows"] for t in header["tables"]}["customers"] == 6
    finally:
        old.stop()

    new = GatewayOn(tmp_path / "new", {"postgres": database}, receiver.url, tokens, secret)
    imported = run("import", "--config", str(new.config_path), str(dump))
    assert imported.returncode == 0, imported.stdout + imported.stderr
    assert "verified" in imported.stdout

    new.start()
    try:
        after = visible(new)
        assert after == before
        # New conversations on PostgreSQL get ids of their own.
        fresh = new.ingest(unique("m"), "newcomer@example.com", "hello after the move")
        fresh_conv = new.conversation_of(fresh)
        assert fresh_conv["id"] not in before[1]
        assert fresh > max(m["id"] for d in before[1].values() for m in d["messages"])
    finally:
        new.stop()

    # The target now holds data: a second import is refused and changes nothing.
    again = run("import", "--config", str(new.config_path), str(dump))
    assert again.returncode == 73, again.stdout + again.stderr
    assert "already holds data" in again.stderr


def test_an_altered_dump_is_refused_naming_the_table(tmp_path, gateway, database):
    gw = gateway()
    gw.ingest(unique("m"), "alice@example.com", "the original words")
    dump = tmp_path / "d.jsonl"
    assert run("export", "--config", str(gw.config_path), "--out", str(dump)).returncode == 0
    dump.write_text(dump.read_text().replace("the original words", "the altered words!"))

    pg = write_config(tmp_path / "pg.yaml", {"postgres": database})
    result = run("import", "--config", str(pg), str(dump))
    assert result.returncode == 65, result.stdout + result.stderr
    assert "messages" in result.stderr and "SHA-256" in result.stderr

    not_a_dump = tmp_path / "nope.jsonl"
    not_a_dump.write_text("hello\n")
    assert run("import", "--config", str(pg), str(not_a_dump)).returncode == 65
    assert run("import", "--config", str(pg), str(tmp_path / "missing.jsonl")).returncode == 66
