"""Two gateways on one real PostgreSQL through a real pgbouncer in transaction-pooling mode.

The store's pool goes through pgbouncer's `transaction` pool (a server connection is lent for one
transaction, then serves another client): every statement the store sends is an unnamed extended-
protocol statement (Parse/Bind/Execute/Sync in one flight) or a whole transaction, and its locks are
transaction-level (`pg_advisory_xact_lock`, `FOR UPDATE`), so nothing outlives the lend. The two
session-long connections of each gateway — the live events' `LISTEN` and the leader's session advisory
lock — cannot live in a transaction pool (the server connection would move on under them), so they go
to `postgres_session`: PostgreSQL itself, or the same pgbouncer's `session`-mode pool of the database.
Both are run here. Ingest on both gateways, replies delivered, live events across gateways, and one
leader keeping the promises; pgbouncer's own `SHOW STATS` proves the store's traffic went through it.

Needs Debian's PostgreSQL server binaries and pgbouncer; skipped without them.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from conftest import AGENTS, base_config, unique, wait_until
from test_cluster import LEADER_LINE, PostgresGateway, at_once, created, overdue_notes, postgres  # noqa: F401
from test_events import EventStream

SUPPORT = Path(__file__).resolve().parent / "support"
sys.path.insert(0, str(SUPPORT))
from pgbouncer_server import PgBouncer, binary  # noqa: E402

if not binary():
    pytest.skip("pgbouncer not installed: apt-get install pgbouncer", allow_module_level=True)


@pytest.fixture
def bounced(postgres, tmp_path, receiver):
    """A fresh database, a pgbouncer offering it in transaction and in session mode, and a factory
    of gateways whose store pool goes through the transaction pool."""
    name = "sb_" + uuid.uuid4().hex[:12]
    subprocess.run(
        [str(postgres.bin / "psql"), "-h", "127.0.0.1", "-p", str(postgres.port), "-U", postgres.user, "-d", "postgres",
         "-v", "ON_ERROR_STOP=1", "-q", "-c", f"CREATE DATABASE {name}"],
        check=True, capture_output=True)
    # Fewer server connections than the gateways' pools ask for: pgbouncer multiplexes them.
    bouncer = PgBouncer(postgres, {name: (name, "transaction"), name + "_session": (name, "session")},
                        default_pool_size=6).start()
    started: list[PostgresGateway] = []

    def make(session_target: str, n=2):
        session_url = (bouncer.url(name + "_session") if session_target == "pgbouncer-session"
                       else f"postgres://{postgres.user}@127.0.0.1:{postgres.port}/{name}")
        for _ in range(n):
            workdir = tmp_path / f"gw{len(started)}"
            workdir.mkdir()
            config = base_config(workdir, receiver.url)
            # pgbouncer 1.18 (Debian 12) in transaction mode keeps no named prepared statements: switched off.
            config["storage"] = {"postgres": bouncer.url(name), "postgres_session": session_url, "pool": 12,
                                 "prepared_statements": False}
            config["routing"]["first_response"] = "2s"
            tokens = {a: f"tok-{a}-{uuid.uuid4().hex}" for a in AGENTS}
            secret = "whsec-" + uuid.uuid4().hex
            env = {k: v for k, v in os.environ.items() if not k.startswith("SB_TOKEN_")}
            env.update({f"SB_TOKEN_{a.upper()}": t for a, t in tokens.items()})
            env["SHOP_CHAT_SECRET"] = secret
            gw = PostgresGateway(workdir, config, env, tokens, secret)
            started.append(gw)
            gw.start()
        return started[-n:]

    make.bouncer = bouncer
    make.database = name
    yield make
    for gw in started:
        gw.stop()
        gw.session.close()
    bouncer.stop()


@pytest.mark.parametrize("session_target", ["postgres", "pgbouncer-session"])
def test_two_gateways_work_through_pgbouncer_in_transaction_mode(bounced, receiver, session_target):
    a, b = bounced(session_target)
    bouncer = bounced.bouncer

    # Ingest on both gateways at once, new customers racing on both: one conversation each.
    for round_ in range(10):
        customer = unique(f"c{round_}")
        ids = at_once(lambda: a.ingest(unique("a"), customer, "via A"), lambda: b.ingest(unique("b"), customer, "via B"))
        assert a.conversation_of(ids[0])["id"] == b.conversation_of(ids[1])["id"]
    assert len(a.conversations()) == 10

    # Live events cross gateways (LISTEN on the session connection, NOTIFY through the transaction pool).
    customer = unique("live")
    first = b.ingest(unique("x"), customer, "first")
    owner = b.conversation_of(first)["owner"]
    stream = EventStream(a, owner)
    try:
        time.sleep(0.3)
        mid = b.ingest(unique("y"), customer, "written to gateway B")
        stream.wait_for(lambda e: created(e, mid), "message.created from gateway B on gateway A", timeout=5)
    finally:
        stream.close()

    # A reply queued on one gateway is delivered (the outbox's claims are transactions too).
    conv = a.conversation_of(mid)
    r = a.api("marta", "POST", f"conversations/{conv['id']}/replies", json={"body": "on it"})
    assert r.status_code == 202, r.text
    b.wait_delivery(conv["id"], r.json()["id"], "delivered")
    assert any(b"on it" in x["body"] for x in receiver.received()), receiver.received()

    # One leader (its advisory lock lives on the session connection) keeps the promise, once.
    wait_until(lambda: [g for g in (a, b) if LEADER_LINE in g.stderr()], 15, what="a leader")
    late = a.ingest(unique("late"), unique("cust"), "nobody answers this")
    wait_until(lambda: overdue_notes(b, late), 15, what="the breach note")
    time.sleep(3)
    assert len(overdue_notes(a, late)) == 1
    assert len([g for g in (a, b) if LEADER_LINE in g.stderr()]) == 1

    # The store's traffic went through pgbouncer's transaction pool, on no more server connections
    # than its pool size, though two gateways' pools were open against it.
    stats = {row["database"]: row for row in bouncer.admin("SHOW STATS")}
    assert int(stats[bounced.database]["total_xact_count"]) > 100, stats
    pools = {row["database"]: row for row in bouncer.admin("SHOW POOLS")}
    assert pools[bounced.database]["pool_mode"] == "transaction"
    servers = int(pools[bounced.database]["sv_active"]) + int(pools[bounced.database]["sv_idle"]) + int(pools[bounced.database]["sv_used"])
    assert servers <= 6, pools[bounced.database]
    if session_target == "pgbouncer-session":
        # Two LISTENs and two campaigns, each on a session of its own.
        assert int(pools[bounced.database + "_session"]["cl_active"]) == 4, pools
    for gw in (a, b):
        assert "could not relay" not in gw.stderr() and "leader election failed" not in gw.stderr(), gw.stderr()
        assert gw.stop() == 0, gw.stderr()
