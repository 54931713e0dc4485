"""The live event stream shows an agent her own conversations' events, and nobody else's."""

import json
import socket
import threading

import requests

from conftest import unique, wait_until


class EventStream:
    """Reads `GET /api/v1/events` in a thread and collects the parsed events."""

    def __init__(self, gw, agent):
        self.events: list[dict] = []
        self.comments: list[str] = []
        self.lock = threading.Lock()
        self.response = requests.get(
            gw.url + "/api/v1/events", headers={"Authorization": f"Bearer {gw.tokens[agent]}"},
            stream=True, timeout=(5, 60))
        assert self.response.status_code == 200, self.response.text
        assert self.response.headers["content-type"].startswith("text/event-stream")
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        event = {}
        try:
            for raw in self.response.iter_lines(chunk_size=1, decode_unicode=True):
                line = raw if isinstance(raw, str) else raw.decode()
                if line == "":
                    if "data" in event:
                        event["json"] = json.loads(event["data"])
                        with self.lock:
                            self.events.append(event)
                    event = {}
                elif line.startswith(":"):
                    with self.lock:
                        self.comments.append(line[1:].strip())
                else:
                    field, _, value = line.partition(":")
                    value = value[1:] if value.startswith(" ") else value
                    event[field] = event.get(field, "") + ("\n" if field == "data" and field in event else "") + value
        except Exception:  # the stream was closed by the test
            pass

    def snapshot(self):
        with self.lock:
            return list(self.events)

    def wait_for(self, predicate, what, timeout=10):
        return wait_until(lambda: [e for e in self.snapshot() if predicate(e)], timeout, what=what)

    def close(self):
        # A blocked read does not notice response.close(); shut the socket down under it.
        try:
            sock = self.response.raw._fp.fp.raw._sock
            sock.shutdown(socket.SHUT_RDWR)
        except (AttributeError, OSError):
            pass
        self.response.close()
        self.thread.join(timeout=5)
        assert not self.thread.is_alive(), "event reader did not stop"


def conv_of_event(e):
    data = e["json"]
    return data.get("conversation_id", data.get("conversation"))


def test_agent_sees_only_her_own_events(gateway):
    gw = gateway()
    c1, c2 = unique("cust1"), unique("cust2")
    conv1 = gw.conversation_of(gw.ingest(unique("x"), c1, "first"))
    conv2 = gw.conversation_of(gw.ingest(unique("y"), c2, "first"))
    by_owner = {conv1["owner"]: conv1, conv2["owner"]: conv2}
    assert set(by_owner) == {"ana", "luis"}
    mine, theirs = by_owner["ana"], by_owner["luis"]
    customer_of = {conv1["id"]: c1, conv2["id"]: c2}

    ana = EventStream(gw, "ana")
    luis = EventStream(gw, "luis")
    try:
        wait_until(lambda: "connected" in ana.comments and "connected" in luis.comments, 5, what="streams connected")

        # Luis's customer writes first, then Ana's; Ana replies.
        theirs_msg = gw.ingest(unique("t"), customer_of[theirs["id"]], "for luis")
        luis.wait_for(lambda e: e.get("event") == "message.created" and e["json"]["id"] == theirs_msg,
                      "luis's message.created")
        mine_msg = gw.ingest(unique("m"), customer_of[mine["id"]], "for ana")
        created = ana.wait_for(lambda e: e.get("event") == "message.created" and e["json"]["id"] == mine_msg,
                               "ana's message.created")[0]
        assert created["json"]["conversation_id"] == mine["id"]
        assert created["json"]["direction"] == "inbound" and created["json"]["body"] == "for ana"
        assert created.get("id"), "events carry an id"

        r = gw.api("ana", "POST", f"conversations/{mine['id']}/replies", json={"body": "on it"})
        assert r.status_code == 202
        reply_id = r.json()["id"]
        delivered = ana.wait_for(
            lambda e: e.get("event") == "delivery.updated" and e["json"]["id"] == reply_id
            and e["json"]["delivery"]["state"] == "delivered", "ana's delivery.updated (delivered)")
        assert delivered[0]["json"]["conversation_id"] == mine["id"]

        # Everything Ana got is about her conversation; nothing of Luis's customer.
        leaked = [e for e in ana.snapshot() if conv_of_event(e) != mine["id"]]
        assert not leaked, f"ana saw events of other conversations: {leaked}"
        assert not [e for e in luis.snapshot() if conv_of_event(e) == mine["id"]]
        assert all(e["event"] in {"conversation.created", "message.created", "delivery.updated", "conversation.assigned"}
                   for e in ana.snapshot()), ana.snapshot()
    finally:
        ana.close()
        luis.close()


def test_supervisor_sees_escalation_and_resolution(gateway):
    gw = gateway()
    marta = EventStream(gw, "marta")
    try:
        wait_until(lambda: "connected" in marta.comments, 5, what="stream connected")
        conv = gw.conversation_of(gw.ingest(unique("e"), unique("cust"), "escalate me"))
        assigned = marta.wait_for(lambda e: e.get("event") == "conversation.assigned", "conversation.assigned")
        assert assigned[0]["json"]["conversation"] == conv["id"]
        assert assigned[0]["json"]["owner"] == conv["owner"]
        owner = conv["owner"]
        assert gw.api(owner, "POST", f"conversations/{conv['id']}/escalations", json={"reason": "vip"}).status_code == 201
        marta.wait_for(lambda e: e.get("event") == "conversation.escalated" and conv_of_event(e) == conv["id"],
                       "conversation.escalated")
        marta.wait_for(lambda e: e.get("event") == "conversation.assigned" and e["json"].get("assignee") == "marta",
                       "conversation.assigned to marta")
        assert gw.api("marta", "POST", f"conversations/{conv['id']}/resolve").status_code == 200
        marta.wait_for(lambda e: e.get("event") == "conversation.resolved" and conv_of_event(e) == conv["id"],
                       "conversation.resolved")
    finally:
        marta.close()


def test_events_need_a_token(gateway):
    gw = gateway()
    r = requests.get(gw.url + "/api/v1/events", timeout=5)
    assert r.status_code == 401
