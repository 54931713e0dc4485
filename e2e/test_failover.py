"""Failover: two gateways on a PostgreSQL primary with a synchronous streaming standby (made by the
test with pg_basebackup, e2e/support/postgres_replication.py), configured with libpq's multi-host URL
`postgres://u@primary,standby/db?target_session_attrs=read-write`. Under load on both gateways the
primary is SIGKILLed and the standby promoted (`pg_promote()`, as Patroni would): the gateways answer
503 meanwhile (platforms retry), find the new primary within seconds, and every message any of them
acknowledged (2xx) is on the new primary — the standby had each commit before it was acknowledged.
The time from the kill to each gateway's first 2xx after it is printed (pytest -s shows it).

A gateway whose durable flush fails (the kill landed between a group's commit, made with
synchronous_commit = off, and the flush that acknowledges it) stops ingesting and exits, by design of
the group committer: what it had committed but not flushed cannot be told apart. A supervisor
(systemd's `Restart=always`) starts it again, and it comes up on the new primary; the test plays that
supervisor, and such a gateway answers nothing (connection refused) while it restarts.

Needs Debian's PostgreSQL server binaries (pg_basebackup included); skipped without them.
"""

from __future__ import annotations

import glob
import json
import os
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
import requests

from conftest import ADAPTER, AGENTS, base_config, message, sign, unique, wait_until
from test_cluster import LEADER_LINE, PostgresGateway

SUPPORT = Path(__file__).resolve().parent / "support"

if not glob.glob("/usr/lib/postgresql/*/bin/pg_basebackup"):
    pytest.skip("PostgreSQL server binaries not installed: apt-get install postgresql", allow_module_level=True)

sys.path.insert(0, str(SUPPORT))
from postgres_replication import ReplicatedPostgres  # noqa: E402

CUSTOMERS = 30
THREADS = 6
BEFORE_KILL = 3.0
AFTER_RECOVERY = 3.0


@pytest.fixture
def replicated():
    servers = ReplicatedPostgres().start()
    yield servers
    servers.stop()


@pytest.fixture
def gateways(replicated, tmp_path, receiver):
    name = "sb_" + uuid.uuid4().hex[:12]
    replicated.psql(replicated.primary, f"CREATE DATABASE {name}")
    started = []
    for i in range(2):
        workdir = tmp_path / f"gw{i}"
        workdir.mkdir()
        config = base_config(workdir, receiver.url)
        config["storage"] = {"postgres": replicated.url(name), "pool": 8}
        tokens = {a: f"tok-{a}-{uuid.uuid4().hex}" for a in AGENTS}
        secret = "whsec-" + uuid.uuid4().hex
        env = {k: v for k, v in os.environ.items() if not k.startswith("SB_TOKEN_")}
        env.update({f"SB_TOKEN_{a.upper()}": t for a, t in tokens.items()})
        env["SHOP_CHAT_SECRET"] = secret
        gw = PostgresGateway(workdir, config, env, tokens, secret)
        gw.name = f"gw{i}"
        started.append(gw)
        gw.start()
    yield started, name
    for gw in started:
        gw.stop()
        gw.session.close()


def quiet(gw) -> str:
    """The gateway's log without postgres-nio's connection retries."""
    text = gw.stderr_path.read_text(errors="replace")
    return "\n".join(line for line in text.splitlines() if "Connection creation failed" not in line)[-4000:]


class Supervisor:
    """Restarts a gateway that exited, as systemd's `Restart=always` would."""

    def __init__(self, gateways):
        self.gateways = gateways
        self.restarted: dict[str, float] = {}
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self.stopping.is_set():
            for gw in self.gateways:
                if gw.proc and gw.proc.poll() is not None and not self.stopping.is_set():
                    self.restarted.setdefault(gw.name, time.monotonic())
                    try:
                        gw.start()
                    except AssertionError:
                        pass  # exited again before ready (no primary yet): the next round retries
            time.sleep(0.05)

    def start(self):
        self.thread.start()

    def stop(self):
        self.stopping.set()
        self.thread.join(30)


class Load:
    """Threads posting new messages to both gateways until stopped; every answer recorded."""

    def __init__(self, gateways):
        self.gateways = gateways
        self.customers = [unique("cust") for _ in range(CUSTOMERS)]
        self.lock = threading.Lock()
        # (sent at, answered at, gateway, status, external id)
        self.answers: list[tuple[float, float, str, int, str]] = []
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self._run, args=(i,), daemon=True) for i in range(THREADS)]

    def _run(self, index):
        session = requests.Session()
        n = 0
        while not self.stopping.is_set():
            gw = self.gateways[(index + n) % len(self.gateways)]
            ext = unique(f"m{index}")
            body = json.dumps(message(ext, self.customers[(index * 7 + n) % CUSTOMERS], f"load {ext}")).encode()
            n += 1
            sent = time.monotonic()
            try:
                r = session.post(f"{gw.url}/hooks/{ADAPTER}", data=body, timeout=15, headers={
                    "Content-Type": "application/json", "X-Switchboard-Signature": sign(gw.secret, body)})
                status = r.status_code
            except requests.RequestException:
                status = 0
            with self.lock:
                self.answers.append((sent, time.monotonic(), gw.name, status, ext))
            if status != 200:
                time.sleep(0.05)  # a platform backs off before retrying

    def start(self):
        for t in self.threads:
            t.start()

    def stop(self):
        self.stopping.set()
        for t in self.threads:
            t.join(20)

    def snapshot(self):
        with self.lock:
            return list(self.answers)


def test_the_primary_dies_under_load_and_no_acknowledged_message_is_lost(replicated, gateways):
    (a, b), database = gateways
    wait_until(lambda: [g for g in (a, b) if LEADER_LINE in g.stderr()], 15, what="a leader")
    load = Load([a, b])
    supervisor = Supervisor([a, b])
    supervisor.start()
    load.start()
    try:
        time.sleep(BEFORE_KILL)
        killed = time.monotonic()
        replicated.kill_primary()
        replicated.promote()
        promoted = time.monotonic()

        def recovered():
            after = [x for x in load.snapshot() if x[3] == 200 and x[0] > supervisor.restarted.get(x[2], killed)]
            return {x[2] for x in after} == {"gw0", "gw1"}
        try:
            wait_until(recovered, 30, interval=0.05, what="both gateways acknowledging again on the new primary")
        except AssertionError:
            after = [x[2:4] for x in load.snapshot() if x[0] > killed]
            raise AssertionError(f"no recovery; answers after the kill (gateway, status): {after[-20:]}\n"
                                 f"gw0:\n{quiet(a)}\ngw1:\n{quiet(b)}")
        time.sleep(AFTER_RECOVERY)
    finally:
        load.stop()
        supervisor.stop()

    answers = load.snapshot()
    # While no primary is reachable the gateways answer 503 (never a 500); a gateway that exited and
    # was restarted answers nothing meanwhile.
    for gw in ("gw0", "gw1"):
        statuses = {x[3] for x in answers if x[2] == gw}
        assert statuses <= ({200, 503, 0} if gw in supervisor.restarted else {200, 503}), (gw, sorted(statuses))
    # Recovered: the first 2xx to a request sent after the kill (it can only have been committed on
    # the promoted server).
    first_ok = {gw: min(x[1] for x in answers if x[2] == gw and x[3] == 200 and x[0] > killed) for gw in ("gw0", "gw1")}
    refused = [x for x in answers if x[3] == 503]
    acknowledged = {x[4] for x in answers if x[3] == 200}
    before = len([x for x in answers if x[1] <= killed and x[3] == 200])
    print(f"\nfailover: promotion took {promoted - killed:.2f} s; first 2xx after the kill: "
          + ", ".join(f"{gw} {t - killed:.2f} s ({t - promoted:.2f} s after promotion)" for gw, t in sorted(first_ok.items()))
          + f"; {before} acknowledged before the kill, {len(acknowledged)} in all, {len(refused)} answered 503"
          + "".join(f"; {gw} exited (flush failed) {t - killed:.2f} s after the kill and acknowledged again "
                    f"{min(x[1] for x in answers if x[2] == gw and x[3] == 200 and x[0] > t) - killed:.2f} s after it"
                    for gw, t in sorted(supervisor.restarted.items())))

    # Every acknowledged message is on the promoted server.
    stored = set(replicated.psql(replicated.standby, "SELECT external_id FROM messages WHERE direction = 'inbound'",
                                 database).split())
    lost = acknowledged - stored
    assert not lost, f"{len(lost)} acknowledged messages lost, e.g. {sorted(lost)[:5]}"
    assert before > 20 and len(acknowledged) > before

    # The gateways keep working on the new primary: reads, a reply delivered, live leadership.
    conv = a.conversations()[0]
    reply = b.api("marta", "POST", f"conversations/{conv['id']}/replies", json={"body": "after the failover"})
    assert reply.status_code == 202, reply.text
    a.wait_delivery(conv["id"], reply.json()["id"], "delivered", timeout=20)
    assert "PostgreSQL primary is now" in a.stderr() and "PostgreSQL primary is now" in b.stderr()
    for gw in (a, b):
        assert gw.stop() == 0, gw.stderr()
