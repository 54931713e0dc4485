"""Threading, least-loaded assignment, visibility, resolve/reopen and escalation."""

import threading

from conftest import message, unique, wait_until


def test_two_customers_get_one_agent_each_and_stay_with_them(gateway):
    gw = gateway()
    alice, bob = unique("alice") + "@example.com", unique("bob") + "@example.com"
    a1 = gw.ingest(unique("a1"), alice, "my order is late", name="Alice")
    b1 = gw.ingest(unique("b1"), bob, "refund please", name="Bob")

    conv_a, conv_b = gw.conversation_of(a1), gw.conversation_of(b1)
    assert conv_a["id"] != conv_b["id"]
    assert {conv_a["owner"], conv_b["owner"]} == {"ana", "luis"}, "least-loaded: one new customer each"
    assert conv_a["assignee"] == conv_a["owner"] and conv_b["assignee"] == conv_b["owner"]

    # The second message of a customer lands in the same thread with the same owner.
    a2 = gw.ingest(unique("a2"), alice, "any news?")
    again = gw.conversation_of(a2)
    assert again["id"] == conv_a["id"]
    assert again["owner"] == conv_a["owner"]
    inbound = [m for m in again["messages"] if m["direction"] == "inbound"]
    assert [m["id"] for m in inbound] == [a1, a2]
    assert again["customer"]["contacts"] == 2
    assert again["customer"]["name"] == "Alice"
    assert again["customer"]["identities"] == [{"channel": "shop-chat", "adapter": "shop-chat", "address": alice}]
    assert gw.get_json("marta", f"conversations/{conv_b['id']}")["customer"]["contacts"] == 1

    owner_a = conv_a["owner"]
    other = "luis" if owner_a == "ana" else "ana"
    # Each agent sees exactly their own conversation in the list …
    assert [c["id"] for c in gw.conversations(owner_a, "open")] == [conv_a["id"]]
    assert [c["id"] for c in gw.conversations(other, "open")] == [conv_b["id"]]
    # … the other agent gets 403 on it, for reading and acting …
    for method, path, body in [
        ("GET", f"conversations/{conv_a['id']}", None),
        ("POST", f"conversations/{conv_a['id']}/replies", {"body": "not mine"}),
        ("POST", f"conversations/{conv_a['id']}/notes", {"body": "not mine"}),
        ("POST", f"conversations/{conv_a['id']}/resolve", None),
    ]:
        r = gw.api(other, method, path, json=body)
        assert r.status_code == 403, (method, path, r.status_code, r.text)
        assert r.json()["error"]["code"] == "forbidden"
    # … and the supervisor sees both.
    assert {c["id"] for c in gw.conversations("marta", "open")} == {conv_a["id"], conv_b["id"]}
    assert gw.api("marta", "GET", f"conversations/{conv_a['id']}").status_code == 200
    # Unknown conversation: 404.
    assert gw.api("marta", "GET", "conversations/999999").status_code == 404


def test_new_customer_writing_concurrently_gets_one_conversation(gateway):
    gw = gateway()
    customer = unique("burst")
    barrier = threading.Barrier(8)
    ids = []

    def post(i):
        barrier.wait()
        ids.append(gw.ingest(unique("b"), customer, f"burst {i}"))

    threads = [threading.Thread(target=post, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(ids) == 8
    [conv] = gw.conversations()
    detail = gw.get_json("marta", f"conversations/{conv['id']}")
    assert sorted(m["id"] for m in detail["messages"] if m["direction"] == "inbound") == sorted(ids)
    assert detail["customer"]["contacts"] == 8
    assert detail["owner"] in ("ana", "luis")


def test_new_customers_are_balanced(gateway):
    gw = gateway()
    owners = [gw.conversation_of(gw.ingest(unique("m"), unique("c")))["owner"] for _ in range(6)]
    assert owners.count("ana") == 3 and owners.count("luis") == 3, owners
    assert "marta" not in owners


def test_auth_and_me(gateway):
    gw = gateway()
    assert gw.api(None, "GET", "me").status_code == 401
    r = gw.api(None, "GET", "me", token="not-a-token")
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"
    me = gw.get_json("ana", "me")
    assert me["id"] == "ana" and me["role"] == "agent" and me["teams"] == ["support"] and me["status"] == "available"
    assert gw.get_json("marta", "me")["role"] == "supervisor"
    r = gw.api("ana", "PUT", "me/status", json={"status": "sleeping"})
    assert r.status_code == 400


def test_away_agent_gets_no_new_customers(gateway):
    gw = gateway()
    r = gw.api("ana", "PUT", "me/status", json={"status": "away"})
    assert r.status_code == 200 and r.json()["status"] == "away"
    owners = [gw.conversation_of(gw.ingest(unique("m"), unique("c")))["owner"] for _ in range(3)]
    assert owners == ["luis"] * 3


def test_resolve_then_next_message_reopens_same_conversation(gateway):
    gw = gateway()
    customer = unique("carol")
    first = gw.ingest(unique("c1"), customer, "help")
    conv = gw.conversation_of(first)
    owner = conv["owner"]
    assert owner in ("ana", "luis")

    r = gw.api(owner, "POST", f"conversations/{conv['id']}/resolve")
    assert r.status_code == 200, r.text
    assert r.json()["direction"] == "event"
    assert gw.get_json(owner, f"conversations/{conv['id']}")["status"] == "resolved"
    assert conv["id"] not in [c["id"] for c in gw.conversations(owner, "open")]
    assert conv["id"] in [c["id"] for c in gw.conversations(owner, "resolved")]
    again = gw.api(owner, "POST", f"conversations/{conv['id']}/resolve")
    assert again.status_code == 409, again.text

    second = gw.ingest(unique("c2"), customer, "it broke again")
    reopened = gw.conversation_of(second)
    assert reopened["id"] == conv["id"]
    assert reopened["status"] == "open"
    assert reopened["owner"] == owner and reopened["assignee"] == owner
    assert reopened["customer"]["contacts"] == 2
    assert conv["id"] in [c["id"] for c in gw.conversations(owner, "open")]


def test_escalation_assigns_supervisor_and_is_recorded(gateway):
    gw = gateway()
    first = gw.ingest(unique("d1"), unique("dave"), "I want a manager")
    conv = gw.conversation_of(first)
    owner = conv["owner"]

    r = gw.api(owner, "POST", f"conversations/{conv['id']}/escalations", json={"reason": "angry customer"})
    assert r.status_code == 201, r.text
    event = r.json()
    assert event["direction"] == "event" and "angry customer" in event["body"]

    detail = gw.get_json("marta", f"conversations/{conv['id']}")
    assert detail["assignee"] == "marta"
    assert detail["owner"] == owner
    assert detail["escalated"] is True
    recorded = [m for m in detail["messages"] if m["direction"] == "event" and m["id"] == event["id"]]
    assert recorded and "angry customer" in recorded[0]["body"]
    assert conv["id"] in [c["id"] for c in gw.conversations("marta", "open") if c["assignee"] == "marta"]
    # The owner still sees it; an empty reason is refused.
    assert gw.api(owner, "GET", f"conversations/{conv['id']}").status_code == 200
    assert gw.api(owner, "POST", f"conversations/{conv['id']}/escalations", json={"reason": " "}).status_code == 400
    # A later message of the customer keeps the owner.
    later = gw.ingest(unique("d2"), detail["customer"]["identities"][0]["address"], "still waiting")
    assert gw.conversation_of(later)["owner"] == owner


def test_notes_are_internal(gateway, receiver):
    gw = gateway()
    conv = gw.conversation_of(gw.ingest(unique("n1"), unique("erin")))
    r = gw.api(conv["owner"], "POST", f"conversations/{conv['id']}/notes", json={"body": "VIP, be nice"})
    assert r.status_code == 201, r.text
    note = r.json()
    assert note["direction"] == "note" and note["author"] == conv["owner"] and "delivery" not in note
    detail = gw.get_json(conv["owner"], f"conversations/{conv['id']}")
    assert any(m["id"] == note["id"] and m["direction"] == "note" for m in detail["messages"])
    # The note is never sent: a reply queued after it is the only thing the receiver ever gets.
    reply = gw.api(conv["owner"], "POST", f"conversations/{conv['id']}/replies", json={"body": "hi"}).json()
    gw.wait_delivery(conv["id"], reply["id"], "delivered")
    assert [r["json"]["text"] for r in receiver.received()] == ["hi"]
