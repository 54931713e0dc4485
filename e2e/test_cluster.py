"""Two gateway processes on one real PostgreSQL: live events cross gateways (LISTEN/NOTIFY), and the
decisions that were safe in one process — one conversation and one owner per new customer, one stored
copy of a platform retry — stay safe across processes.

Needs Debian's PostgreSQL server binaries (/usr/lib/postgresql/*/bin); skipped without them. One server
per module (e2e/support/postgres_server.py), a fresh database per test.
"""

from __future__ import annotations

import glob
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

from conftest import ADAPTER, AGENTS, Gateway, base_config, message, unique, wait_until
from test_events import EventStream

SUPPORT = Path(__file__).resolve().parent / "support"

if not glob.glob("/usr/lib/postgresql/*/bin/postgres"):
    pytest.skip("PostgreSQL server binaries not installed (/usr/lib/postgresql/*/bin/postgres): "
                "apt-get install postgresql", allow_module_level=True)

sys.path.insert(0, str(SUPPORT))
from postgres_server import PostgresServer  # noqa: E402


@pytest.fixture(scope="module")
def postgres():
    server = PostgresServer().start()
    yield server
    server.stop()


@pytest.fixture
def database(postgres):
    """A fresh database on the module's server; its URL."""
    name = "sb_" + uuid.uuid4().hex[:12]
    subprocess.run(
        [str(postgres.bin / "psql"), "-h", "127.0.0.1", "-p", str(postgres.port), "-U", postgres.user, "-d", "postgres",
         "-v", "ON_ERROR_STOP=1", "-q", "-c", f"CREATE DATABASE {name}"],
        check=True, capture_output=True)
    return f"postgres://{postgres.user}@127.0.0.1:{postgres.port}/{name}"


class PostgresGateway(Gateway):
    """conftest's Gateway, with `storage: {postgres: URL}` instead of a SQLite file."""

    def __init__(self, workdir, config, env, tokens, secret):
        sqlite_free = dict(config, storage={"sqlite": str(workdir / "unused.sqlite")})
        super().__init__(workdir, sqlite_free, env, tokens, secret)
        self.config = config
        self.db_path = None
        import yaml
        self.config_path.write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True))


@pytest.fixture
def cluster(tmp_path, receiver, database):
    """Starts `n` gateways on one fresh PostgreSQL database; stopped at teardown."""
    import os
    started: list[Gateway] = []

    def make(n=2, routing=None):
        for i in range(n):
            workdir = tmp_path / f"gw{len(started)}"
            workdir.mkdir()
            config = base_config(workdir, receiver.url)
            config["storage"] = {"postgres": database}
            config["routing"].update(routing or {})
            tokens = {a: f"tok-{a}-{uuid.uuid4().hex}" for a in AGENTS}
            secret = "whsec-" + uuid.uuid4().hex
            env = {k: v for k, v in os.environ.items() if not k.startswith("SB_TOKEN_")}
            env.update({f"SB_TOKEN_{a.upper()}": t for a, t in tokens.items()})
            env["SHOP_CHAT_SECRET"] = secret
            gw = PostgresGateway(workdir, config, env, tokens, secret)
            started.append(gw)
            gw.start()
        return started[-n:]

    yield make
    for gw in started:
        gw.stop()
        gw.session.close()


def at_once(*calls):
    """Runs the calls in threads released together; their results in order."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i, call):
        barrier.wait()
        results[i] = call()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


def created(e, message_id):
    return e.get("event") == "message.created" and e["json"].get("id") == message_id


def test_agent_on_one_gateway_sees_a_message_ingested_by_the_other(cluster):
    a, b = cluster(2)
    streams = {agent: EventStream(a, agent) for agent in ("ana", "luis", "marta")}
    try:
        customer = unique("cust")
        mid = b.ingest(unique("x"), customer, "written to gateway B")
        conv = b.conversation_of(mid)
        owner = streams[conv["owner"]]
        owner.wait_for(lambda e: created(e, mid), "message.created from gateway B on gateway A", timeout=10)
        # The owner's colleague does not see it (visibility is kept across gateways).
        other = "luis" if conv["owner"] == "ana" else "ana"
        assert not [e for e in streams[other].snapshot() if created(e, mid)]
        # Gateway A's own events are not echoed back to it by the relay.
        mid2 = a.ingest(unique("y"), customer, "written to gateway A")
        owner.wait_for(lambda e: created(e, mid2), "own event", timeout=10)
        b_stream = EventStream(b, conv["owner"])
        try:
            mid3 = a.ingest(unique("z"), customer, "third")
            b_stream.wait_for(lambda e: created(e, mid3), "A's event on B", timeout=10)
        finally:
            b_stream.close()
        time.sleep(0.5)
        assert len([e for e in owner.snapshot() if created(e, mid2)]) == 1, "an own event came back through the relay"
    finally:
        for s in streams.values():
            s.close()


def test_first_messages_of_a_new_customer_on_both_gateways_make_one_conversation(cluster):
    a, b = cluster(2)
    for round_ in range(5):
        customer = unique(f"burst{round_}")
        ids = at_once(lambda: a.ingest(unique("a"), customer, "via A"), lambda: b.ingest(unique("b"), customer, "via B"))
        conv_a, conv_b = a.conversation_of(ids[0]), b.conversation_of(ids[1])
        assert conv_a["id"] == conv_b["id"], f"round {round_}: two conversations for one customer"
        detail = a.get_json("marta", f"conversations/{conv_a['id']}")
        assert sorted(m["id"] for m in detail["messages"] if m["direction"] == "inbound") == sorted(ids)
        assert detail["owner"] in ("ana", "luis")
        assert b.get_json("marta", f"conversations/{conv_a['id']}")["owner"] == detail["owner"]
    assert len(a.conversations()) == 5
    assert len(b.conversations()) == 5
    # Both stop gracefully (the relay's and the election's connections close with them).
    for gw in (a, b):
        assert gw.stop() == 0, gw.stderr()


def test_a_platform_retry_hitting_both_gateways_is_stored_once(cluster):
    a, b = cluster(2)
    for _ in range(5):
        payload = message(unique("retry"), unique("cust"), "sent twice by the platform")
        answers = at_once(lambda: a.post_hook(ADAPTER, payload), lambda: b.post_hook(ADAPTER, payload))
        assert [r.status_code for r in answers] == [200, 200], [r.text for r in answers]
        bodies = [r.json() for r in answers]
        assert sum(x["stored"] for x in bodies) == 1, bodies
        assert sum(x["duplicates"] for x in bodies) == 1, bodies
        assert bodies[0]["messages"][0] == bodies[1]["messages"][0]
        conv = a.conversation_of(bodies[0]["messages"][0])
        assert len([m for m in conv["messages"] if m["direction"] == "inbound"]) == 1


LEADER_LINE = "now runs the once-per-cluster work"


def overdue_notes(gw, message_id):
    detail = gw.conversation_of(message_id)
    return [m for m in detail["messages"] if "overdue" in str(m.get("body", ""))]


def test_promises_are_kept_by_one_elected_gateway_and_move_when_it_dies(cluster):
    a, b = cluster(2, routing={"first_response": "2s"})
    leaders = wait_until(lambda: [g for g in (a, b) if LEADER_LINE in g.stderr()], 15, what="a leader")
    time.sleep(4)  # the other keeps trying every few seconds, and keeps failing
    assert len([g for g in (a, b) if LEADER_LINE in g.stderr()]) == 1
    [leader] = leaders
    follower = b if leader is a else a

    # A breach is escalated once, not once per gateway.
    first = follower.ingest(unique("x"), unique("cust"), "nobody answers this")
    wait_until(lambda: overdue_notes(follower, first), 15, what="the breach note")
    time.sleep(3)
    assert len(overdue_notes(follower, first)) == 1

    # The leader dies: its session ends, the lock is released, the other takes over.
    leader.kill()
    wait_until(lambda: LEADER_LINE in follower.stderr(), 15, what="the follower taking over")
    second = follower.ingest(unique("y"), unique("cust"), "nor this")
    wait_until(lambda: overdue_notes(follower, second), 15, what="the breach note after the handover")
    time.sleep(3)
    assert len(overdue_notes(follower, second)) == 1
