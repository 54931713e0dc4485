"""Collision detection across two gateways on one real PostgreSQL: a viewer announced on gateway A is
listed by gateway B and announced on B's streams (through the LISTEN/NOTIFY relay), renewals on A are
not told to B's agents again, `left` on A reaches B, and the other way round. (Expiry on every gateway:
Tests/SwitchboardCoreTests/ConversationPresenceTests.swift.) Skipped without PostgreSQL, like
e2e/test_cluster.py, whose fixtures it uses."""

from __future__ import annotations

import time

from conftest import unique, wait_until
from test_cluster import cluster, database, postgres  # noqa: F401  (fixtures)
from test_events import EventStream


def presence_states(stream, cid):
    return [e["json"]["state"] for e in stream.snapshot()
            if e.get("event") == "presence.updated" and e["json"]["conversation_id"] == cid]


def test_a_viewer_announced_on_one_gateway_shows_on_the_other(cluster):
    a, b = cluster(2)
    conv = b.conversation_of(b.ingest(unique("m"), unique("cust"), "two agents, one customer"))
    cid, owner = conv["id"], conv["owner"]
    stranger = "luis" if owner == "ana" else "ana"
    owner_on_b, stranger_on_b = EventStream(b, owner), EventStream(b, stranger)
    try:
        r = a.api("marta", "POST", f"conversations/{cid}/presence", json={"state": "typing"})
        assert r.status_code == 200, r.text
        owner_on_b.wait_for(lambda e: e.get("event") == "presence.updated", "presence.updated from A on B", timeout=5)
        viewers = wait_until(lambda: b.get_json(owner, f"conversations/{cid}")["viewers"], 5, what="the viewer on B")
        assert [(v["agent"], v["name"], v["state"]) for v in viewers] == [("marta", "Marta Ruiz", "typing")]
        assert b.api(stranger, "POST", f"conversations/{cid}/presence", json={"state": "viewing"}).status_code == 403

        # Renewals on A (well within 30 s) change nothing for B's agents.
        for _ in range(3):
            time.sleep(0.3)
            assert a.api("marta", "POST", f"conversations/{cid}/presence", json={"state": "typing"}).status_code == 200
        a.api("marta", "POST", f"conversations/{cid}/presence", json={"state": "left"})
        owner_on_b.wait_for(lambda e: e.get("event") == "presence.updated" and e["json"]["state"] == "left", "left on B")
        assert presence_states(owner_on_b, cid) == ["typing", "left"]
        assert b.get_json(owner, f"conversations/{cid}")["viewers"] == []
        # B's own announcement reaches A's list the other way round.
        assert b.api(owner, "POST", f"conversations/{cid}/presence", json={"state": "viewing"}).status_code == 200
        wait_until(lambda: [v["agent"] for v in a.get_json("marta", f"conversations/{cid}")["viewers"]] == [owner], 5,
                   what="B's viewer on A")
        assert presence_states(stranger_on_b, cid) == [], "visibility holds across gateways"
    finally:
        owner_on_b.close()
        stranger_on_b.close()
