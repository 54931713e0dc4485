"""Collision detection over the API: `POST /api/v1/conversations/{id}/presence` with the conversation's
visibility rules, `viewers` in the conversation view (the caller left out), `presence.updated` on the
streams of those who can see the conversation (changes only, not renewals), and an announcement that
lapses by itself (`server.presence_expiry`, 30 s by default; 3 s here so the test does not wait long).
Two gateways on PostgreSQL: e2e/test_cluster_presence.py."""

from __future__ import annotations

import subprocess
import time

import requests
import yaml

from conftest import BIN, unique, wait_until
from test_events import EventStream
from test_openapi import check


def presence(gw, agent, cid, state):
    return gw.api(agent, "POST", f"conversations/{cid}/presence", json={"state": state})


def presence_events(stream, cid):
    return [e["json"] for e in stream.snapshot() if e.get("event") == "presence.updated" and e["json"]["conversation_id"] == cid]


def spec_of(gw):
    return yaml.safe_load(requests.get(gw.url + "/api/v1/openapi.yaml", timeout=5).text)


def test_only_those_who_see_the_conversation_announce_and_see_viewers(gateway):
    gw = gateway()
    conv = gw.conversation_of(gw.ingest(unique("m"), unique("c") + "@example.com", "where is my parcel?"))
    cid, owner = conv["id"], conv["owner"]
    stranger = "luis" if owner == "ana" else "ana"
    spec = spec_of(gw)
    template = "/api/v1/conversations/{id}/presence"

    # The same rules as reading the conversation: 403 for a colleague it is not assigned to, 404, 400, 401.
    refused = presence(gw, stranger, cid, "viewing")
    assert refused.status_code == 403, refused.text
    check(spec, "POST", template, refused)
    assert presence(gw, owner, 999999, "viewing").status_code == 404
    bad = presence(gw, owner, cid, "sleeping")
    assert bad.status_code == 400 and "viewing, typing, left" in bad.json()["error"]["message"]
    assert gw.api(None, "POST", f"conversations/{cid}/presence", json={"state": "viewing"}).status_code == 401

    answer = presence(gw, owner, cid, "viewing")
    assert answer.status_code == 200, answer.text
    check(spec, "POST", template, answer)
    body = answer.json()
    assert body["state"] == "viewing" and body["conversation_id"] == cid and body["viewers"] == []
    assert body["expires_in"] == 30, "the default expiry"

    # The supervisor opens it and starts typing: the owner sees her; she sees the owner, not herself.
    assert presence(gw, "marta", cid, "viewing").status_code == 200
    typing = presence(gw, "marta", cid, "typing")
    assert [v["agent"] for v in typing.json()["viewers"]] == [owner]
    detail = gw.api(owner, "GET", f"conversations/{cid}")
    check(spec, "GET", "/api/v1/conversations/{id}", detail)
    [viewer] = detail.json()["viewers"]
    assert viewer["agent"] == "marta" and viewer["name"] == "Marta Ruiz" and viewer["state"] == "typing" and viewer["since"]
    assert [v["agent"] for v in gw.get_json("marta", f"conversations/{cid}")["viewers"]] == [owner]
    assert gw.api(stranger, "GET", f"conversations/{cid}").status_code == 403

    # Leaving takes her off the list at once.
    left = presence(gw, "marta", cid, "left")
    assert left.status_code == 200 and left.json()["state"] == "left" and "expires_at" not in left.json()
    check(spec, "POST", template, left)
    assert gw.get_json(owner, f"conversations/{cid}")["viewers"] == []


def test_changes_reach_the_other_agents_streams_and_renewals_do_not(gateway):
    gw = gateway()
    conv = gw.conversation_of(gw.ingest(unique("m"), unique("c") + "@example.com", "hello"))
    cid, owner = conv["id"], conv["owner"]
    stranger = "luis" if owner == "ana" else "ana"
    to_owner, to_stranger = EventStream(gw, owner), EventStream(gw, stranger)
    try:
        assert presence(gw, "marta", cid, "viewing").status_code == 200
        first = to_owner.wait_for(lambda e: e.get("event") == "presence.updated", "presence.updated on the owner's stream")[0]["json"]
        assert first["conversation_id"] == cid and first["agent"] == "marta" and first["name"] == "Marta Ruiz"
        assert first["state"] == "viewing" and first["since"] and first["expires_at"]

        presence(gw, "marta", cid, "viewing")  # a renewal: nothing new to tell
        presence(gw, "marta", cid, "typing")
        to_owner.wait_for(lambda e: e.get("event") == "presence.updated" and e["json"]["state"] == "typing", "typing")
        presence(gw, "marta", cid, "left")
        to_owner.wait_for(lambda e: e.get("event") == "presence.updated" and e["json"]["state"] == "left", "left")
        assert [e["state"] for e in presence_events(to_owner, cid)] == ["viewing", "typing", "left"]

        # A message after them proves the stranger's stream is live and got none of them.
        mine = gw.conversation_of(gw.ingest(unique("m"), unique("c") + "@example.com", "another customer"))
        assert mine["owner"] == stranger, "least-loaded assignment gives the stranger the next customer"
        to_stranger.wait_for(lambda e: e.get("event") == "message.created", "the stranger's own message")
        assert presence_events(to_stranger, cid) == []
    finally:
        to_owner.close()
        to_stranger.close()


def test_an_announcement_lapses_without_renewal(gateway):
    gw = gateway({"server": {"presence_expiry": "3s"}})
    conv = gw.conversation_of(gw.ingest(unique("m"), unique("c") + "@example.com", "hi"))
    cid, owner = conv["id"], conv["owner"]
    stream = EventStream(gw, owner)
    try:
        answer = presence(gw, "marta", cid, "typing").json()
        assert answer["expires_in"] == 3
        assert [v["state"] for v in gw.get_json(owner, f"conversations/{cid}")["viewers"]] == ["typing"]
        # Renewed, it stays past its first lifetime.
        for _ in range(3):
            time.sleep(1)
            presence(gw, "marta", cid, "typing")
        assert [v["agent"] for v in gw.get_json(owner, f"conversations/{cid}")["viewers"]] == ["marta"]
        # Not renewed, it goes by itself, and the owner is told.
        wait_until(lambda: gw.get_json(owner, f"conversations/{cid}")["viewers"] == [], 10, what="the viewer to lapse")
        stream.wait_for(lambda e: e.get("event") == "presence.updated" and e["json"]["state"] == "left", "left on expiry")
        assert [e["state"] for e in presence_events(stream, cid)] == ["typing", "left"]
    finally:
        stream.close()


def test_presence_expiry_is_checked(tmp_path, gateway):
    gw = gateway()
    config = yaml.safe_load(gw.config_path.read_text())
    config["server"]["presence_expiry"] = "0s"
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(config, sort_keys=False))
    r = subprocess.run([BIN, "check-config", "--config", str(bad)], env=gw.env, cwd=gw.workdir,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 1 and "presence_expiry" in r.stdout + r.stderr
