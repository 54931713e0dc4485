"""A gateway dies during load: two gateways on one real PostgreSQL take a few hundred inbound messages
and agent replies at once, one is SIGKILLed mid-load. Every message a platform got a 2xx for is
stored, every reply is delivered, and the platform (a local HTTP server counting Idempotency-Keys)
never sees one reply from two gateways at once, nor twice — except a resend by the survivor of what
the dead gateway had in flight, which carries the same key. The killed gateway then rejoins.
"""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from conftest import ADAPTER, AGENTS, base_config, message, sign, unique, wait_until
from test_cluster import PostgresGateway, database, postgres  # noqa: F401  (fixtures)

CUSTOMERS = 40
INBOUND = 300
REPLIES = 150
LEASE = "3s"


class Platform:
    """The channel's outbound API. Each gateway is configured with its own path (/send/gw0, /send/gw1),
    so every request says which gateway sent it; answers take a little while, so a kill finds some
    in flight."""

    def __init__(self, delay: float = 0.1):
        self.lock = threading.Lock()
        self.requests: list[dict] = []
        platform = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                started = time.monotonic()
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                time.sleep(delay)
                answer = json.dumps({"id": f"p-{uuid.uuid4().hex[:8]}"}).encode()
                answered = True
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                    self.wfile.flush()
                except OSError:
                    answered = False
                with platform.lock:
                    platform.requests.append({
                        "gateway": self.path.rsplit("/", 1)[-1], "key": self.headers.get("Idempotency-Key"),
                        "json": json.loads(body), "start": started, "end": time.monotonic(), "answered": answered})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}/send"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def by_key(self) -> dict[str, list[dict]]:
        with self.lock:
            keys: dict[str, list[dict]] = {}
            for r in self.requests:
                keys.setdefault(r["key"], []).append(r)
            return keys

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def platform():
    p = Platform()
    yield p
    p.close()


@pytest.fixture
def two_gateways(tmp_path, database, platform):  # noqa: F811
    started: list[PostgresGateway] = []
    secret = "whsec-" + uuid.uuid4().hex
    tokens = {a: f"tok-{a}-{uuid.uuid4().hex}" for a in AGENTS}
    for i in range(2):
        workdir = tmp_path / f"gw{i}"
        workdir.mkdir()
        config = base_config(workdir, f"{platform.base}/gw{i}")
        config["storage"] = {"postgres": database}
        config["delivery"]["lease"] = LEASE
        config["delivery"]["max_attempts"] = 8
        env = {k: v for k, v in os.environ.items() if not k.startswith("SB_TOKEN_")}
        env.update({f"SB_TOKEN_{a.upper()}": t for a, t in tokens.items()})
        env["SHOP_CHAT_SECRET"] = secret
        gw = PostgresGateway(workdir, config, env, tokens, secret)
        gw.name = f"gw{i}"
        started.append(gw)
        gw.start()
    yield started
    for gw in started:
        gw.stop()
        gw.session.close()


_local = threading.local()


def session() -> requests.Session:
    if not hasattr(_local, "session"):
        _local.session = requests.Session()
    return _local.session


def post_inbound(gw, ext_id: str, customer: str):
    """Posts one message; its stored id when the gateway answered 2xx, else None (not acknowledged)."""
    body = json.dumps(message(ext_id, customer, f"message {ext_id}")).encode()
    try:
        r = session().post(f"{gw.url}/hooks/{ADAPTER}", data=body, timeout=10, headers={
            "Content-Type": "application/json", "X-Switchboard-Signature": sign(gw.secret, body)})
    except requests.RequestException:
        return None
    return r.json()["messages"][0] if 200 <= r.status_code < 300 else None


def post_reply(gw, conversation: int, text: str):
    """Queues one agent reply; its message id when the gateway answered 202, else None."""
    try:
        r = session().post(f"{gw.url}/api/v1/conversations/{conversation}/replies", json={"body": text}, timeout=10,
                           headers={"Authorization": f"Bearer {gw.tokens['marta']}"})
    except requests.RequestException:
        return None
    return r.json()["id"] if r.status_code == 202 else None


def all_messages(gw) -> dict[int, dict]:
    out = {}
    for c in gw.conversations():
        for m in gw.get_json("marta", f"conversations/{c['id']}")["messages"]:
            out[m["id"]] = m
    return out


def test_a_gateway_killed_mid_load_loses_nothing_and_sends_nothing_twice(two_gateways, platform):
    began = time.monotonic()
    a, b = two_gateways
    customers = [unique("cust") for _ in range(CUSTOMERS)]
    # One conversation per customer before the load, so replies have somewhere to go.
    for i, customer in enumerate(customers):
        assert post_inbound((a, b)[i % 2], unique("first"), customer) is not None
    conversations = [c["id"] for c in b.conversations()]
    assert len(conversations) == CUSTOMERS

    # The load: inbound messages and replies through both gateways, 16 at a time; `a` dies midway.
    jobs = [("in", (a, b)[i % 2], i) for i in range(INBOUND)] + [("reply", (a, b)[i % 2], i) for i in range(REPLIES)]
    jobs.sort(key=lambda j: (j[2] * 997) % 1009)  # interleaved, deterministically
    done = [0]
    killed_at = [None]
    lock = threading.Lock()

    def run(job):
        kind, gw, i = job
        if kind == "in":
            result = post_inbound(gw, f"load-{i}-{uuid.uuid4().hex[:6]}", customers[i % CUSTOMERS])
        else:
            result = post_reply(gw, conversations[i % CUSTOMERS], f"reply {i}")
        with lock:
            done[0] += 1
            if done[0] == len(jobs) // 2:
                a.kill()
                killed_at[0] = time.monotonic()
        return kind, gw.name, result

    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(run, jobs))
    assert killed_at[0] is not None
    acked_inbound = [r for kind, _, r in results if kind == "in" and r is not None]
    acked_replies = [r for kind, _, r in results if kind == "reply" and r is not None]
    refused = sum(1 for _, _, r in results if r is None)
    # Both gateways answered before the kill; the survivor kept answering after it.
    assert len(acked_inbound) > INBOUND // 2 and len(acked_replies) > REPLIES // 2, (len(acked_inbound), len(acked_replies))
    assert {name for kind, name, r in results if r is not None} == {"gw0", "gw1"}

    # Every acknowledged message is stored; every queued reply is delivered (the dead gateway's
    # claims after their lease), all by the survivor.
    def all_sent():
        messages = all_messages(b)
        pending = [r for r in acked_replies if messages.get(r, {}).get("delivery", {}).get("state") != "delivered"]
        return messages if not pending else None
    messages = wait_until(all_sent, 30, interval=0.5, what="every queued reply delivered")
    missing = [m for m in acked_inbound if m not in messages]
    assert not missing, f"{len(missing)} acknowledged messages are not stored"

    # What the platform saw: each reply's key, from one gateway at a time, twice only as a resend.
    keys = platform.by_key()
    assert set(keys) >= {str(r) for r in acked_replies}
    resends = 0
    for key, attempts in keys.items():
        attempts.sort(key=lambda r: r["start"])
        assert all(r["json"]["id"] == int(key) for r in attempts), f"key {key} carried another reply"
        for earlier, later in zip(attempts, attempts[1:]):
            assert later["start"] >= earlier["end"], \
                f"key {key} was in flight on {earlier['gateway']} and {later['gateway']} at once"
            # Only the dead gateway's unfinished attempt is sent again, by the survivor, after the kill.
            assert earlier["gateway"] == "gw0" and earlier["start"] < killed_at[0], f"key {key} sent twice: {attempts}"
            assert later["gateway"] == "gw1" and later["start"] > killed_at[0], f"key {key} sent twice: {attempts}"
            assert later["json"] == earlier["json"], f"the resend of {key} differs from the first attempt"
            resends += 1
    print(f"\n{len(acked_inbound)} inbound and {len(acked_replies)} replies acknowledged, {refused} refused "
          f"(the dead gateway); {len(keys)} keys at the platform, {resends} resent after the crash with the same key; "
          f"all delivered {time.monotonic() - killed_at[0]:.1f}s after the kill")

    # The killed gateway comes back and takes its share again.
    a.start()
    mid = a.ingest(unique("back"), customers[0], "after the restart")
    conv = a.conversation_of(mid)
    reply = a.api("marta", "POST", f"conversations/{conv['id']}/replies", json={"body": "welcome back"})
    assert reply.status_code == 202, reply.text
    a.wait_delivery(conv["id"], reply.json()["id"], "delivered", timeout=15)
    assert time.monotonic() - began < 90
