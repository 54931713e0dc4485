"""Automation on two gateways sharing one real PostgreSQL: both take events from the one automation queue,
yet every event reaches a webhook endpoint once and in order per conversation, every rule acts once per
event, and a scheduled rule runs on the elected gateway only (once per conversation, not once per gateway).

Skipped without Debian's PostgreSQL server binaries, like test_cluster.py.
"""

from __future__ import annotations

import os
import time
import uuid

from conftest import AGENTS, Receiver, base_config, unique, wait_until
from test_cluster import LEADER_LINE, PostgresGateway, database, postgres  # noqa: F401  (fixtures)

SECRET = "cluster-crm-secret-0123456789abcdef"

RULES = [
    {"id": "hello", "on": "conversation.created", "then": [{"note": "New request: check the order first"}]},
    {"id": "chase", "schedule": "every 1s", "if": {"status": ["pending"], "waited_longer_than": "2s"},
     "then": [{"escalate": "the customer has not answered"}]},
]


def start_cluster(tmp_path, receiver, database, endpoint, n=2):
    gateways = []
    for i in range(n):
        workdir = tmp_path / f"gw{i}"
        workdir.mkdir()
        config = base_config(workdir, receiver.url)
        config["storage"] = {"postgres": database}
        config["rules"] = RULES
        config["webhooks"] = [{"id": "crm", "url": endpoint.url, "secret_env": "CRM_SECRET",
                               "events": ["conversation.created", "message.created"]}]
        tokens = {a: f"tok-{a}-{uuid.uuid4().hex}" for a in AGENTS}
        secret = "whsec-" + uuid.uuid4().hex
        env = {k: v for k, v in os.environ.items() if not k.startswith("SB_TOKEN_")}
        env.update({f"SB_TOKEN_{a.upper()}": t for a, t in tokens.items()})
        env.update({"SHOP_CHAT_SECRET": secret, "CRM_SECRET": SECRET})
        gw = PostgresGateway(workdir, config, env, tokens, secret)
        gateways.append(gw)
        gw.start()
    return gateways


def rule_lines(gw, conversation, rule):
    detail = gw.get_json("marta", f"conversations/{conversation}")
    return [m["body"] for m in detail["messages"] if m.get("author") == f"rule:{rule}"]


def test_two_gateways_deliver_each_event_once_in_order_and_rules_act_once(tmp_path, receiver, database):
    endpoint = Receiver()
    started = []
    try:
        started = start_cluster(tmp_path, receiver, database, endpoint)
        a, b = started
        customers = [unique("c") for _ in range(4)]
        for round in range(3):
            for i, customer in enumerate(customers):
                (a if (i + round) % 2 == 0 else b).ingest(unique("m"), customer, f"message {round}")
        # A conversation.created per customer, a message.created per message, and per conversation the
        # rule's note and its event line (message.created too).
        expected = 4 + 12 + 4 * 2

        wait_until(lambda: len(endpoint.received()) >= expected, timeout=30, what="every event at the endpoint")
        time.sleep(1.5)  # anything doubled would arrive by now
        posts = endpoint.received()
        ids = [p["headers"]["x-switchboard-delivery"] for p in posts]
        assert len(ids) == expected and len(set(ids)) == expected, "each event posted once across both gateways"
        by_conversation: dict[int, list[dict]] = {}
        for p in posts:
            by_conversation.setdefault(p["json"]["conversation"], []).append(p["json"])
            assert int(p["json"]["id"]) == int(p["headers"]["x-switchboard-delivery"])
        assert len(by_conversation) == 4
        for events in by_conversation.values():
            # In order: the conversation first, then the customer's messages in the order they came.
            assert events[0]["type"] == "conversation.created"
            messages = [e["data"] for e in events[1:]]
            assert all(e["type"] == "message.created" for e in events[1:])
            assert [m["body"] for m in messages if m["direction"] == "inbound"] == ["message 0", "message 1", "message 2"]

        # The rule on conversation.created acted once per conversation, whichever gateway took the event.
        for conversation in by_conversation:
            assert rule_lines(a, conversation, "hello") == ["New request: check the order first",
                                                            "Rule 'hello': added a note"]

        # The scheduled rule runs on the leader only: one escalation, not one per gateway.
        wait_until(lambda: [g for g in (a, b) if LEADER_LINE in g.stderr()], 15, what="a leader")
        waiting = next(iter(by_conversation))
        owner = a.get_json("marta", f"conversations/{waiting}")["owner"]
        assert a.api(owner, "PUT", f"conversations/{waiting}/status", json={"status": "pending"}).status_code == 200
        wait_until(lambda: rule_lines(b, waiting, "chase"), timeout=20, what="the scheduled escalation")
        time.sleep(3)
        assert len(rule_lines(b, waiting, "chase")) == 1
    finally:
        for gw in started:
            gw.stop()
            gw.session.close()
        endpoint.close()
