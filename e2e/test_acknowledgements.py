"""Acknowledgements (`routing.acknowledge`): the first message of a new request gets a reply through
the same adapter with the conversation's reference, the owner's name and when they will answer;
per-adapter switch and template; nothing more for a customer who just wrote."""

import re
import time

from conftest import ADAPTER, message, unique, wait_until


def receiver_path(receiver, path: str) -> str:
    """The receiver's URL with another path, so requests tell which adapter sent them."""
    return receiver.url.rsplit("/", 1)[0] + path


def webhook(adapter_id: str, url: str, identity: str | None = None, **extra) -> dict:
    # Unsigned posts on purpose: declared open, as an operator must.
    a = {"id": adapter_id, "type": "webhook", "team": "support", "open": True,
         "inbound": {"message_id": "/id", "customer": "/from", "customer_name": "/name", "text": "/text"},
         "outbound": {"url": url}, **extra}
    if identity:
        a["identity"] = identity
    return a


def shop_chat(url: str, **extra) -> dict:
    return {"id": ADAPTER, "type": "webhook", "team": "support", "secret_env": "SHOP_CHAT_SECRET",
            "inbound": {"message_id": "/id", "customer": "/from", "customer_name": "/name", "text": "/text", "sent_at": "/ts"},
            "outbound": {"url": url, "timeout": "5s"}, **extra}


def send(gw, adapter, ext_id, customer, text="hello", name=None):
    r = gw.post_hook(adapter, message(ext_id, customer, text, name), secret=None)
    assert r.status_code == 200, f"hook {adapter} answered {r.status_code}: {r.text}"
    return r.json()["messages"][0]


def acks(detail):
    return [m for m in detail["messages"] if m["direction"] == "outbound" and m.get("author") == "switchboard"]


def settle():
    """Long enough for a queued acknowledgement to have been delivered to a healthy local receiver."""
    time.sleep(1.0)


def test_first_message_is_acknowledged_through_its_adapter_with_reference_and_owner(gateway, receiver):
    gw = gateway({"routing": {"acknowledge": True},
                  "adapters": [shop_chat(receiver_path(receiver, "/chat")),
                               webhook("sms", receiver_path(receiver, "/sms"), "phone")]})
    ext = unique("s1")
    first = send(gw, "sms", ext, "+34 600 111 222", "my parcel never arrived", name="Irene Soler")
    conv = gw.conversation_of(first)
    owner = conv["owner"]
    owner_name = {"ana": "Ana García", "luis": "Luis Pérez"}[owner]
    ref = conv["reference"]
    assert re.fullmatch(r"SB-\d{6,}-[0-9A-HJKMNP-TV-Z]{5}", ref), ref

    # It arrives at the sms adapter's receiver, answering the customer's message.
    [req] = wait_until(lambda: [r for r in receiver.received() if r["path"] == "/sms"], what="acknowledgement POST")
    body = req["json"]
    assert ref in body["text"] and owner_name in body["text"], body
    assert "Irene" in body["text"]
    assert body["in_reply_to"] == ext
    assert body["to"].replace(" ", "") == "+34600111222"
    assert body["conversation"] == conv["id"]
    assert not [r for r in receiver.received() if r["path"] == "/chat"], "only through the originating adapter"

    # In the thread: an outbound message by switchboard, marked as the acknowledgement, delivered …
    [ack] = acks(gw.get_json("marta", f"conversations/{conv['id']}"))
    assert ack["adapter"] == "sms" and ack["body"] == body["text"]
    assert ack["metadata"]["purpose"] == "acknowledgement"
    assert req["headers"].get("idempotency-key") == str(ack["id"]), "retried safely, like replies"
    assert body["id"] == ack["id"]
    gw.wait_delivery(conv["id"], ack["id"], "delivered")
    # … and it is not the agent's first response: the clock still runs.
    detail = gw.get_json(owner, f"conversations/{conv['id']}")
    assert detail["first_response_due"], detail
    [summary] = [c for c in gw.conversations(owner, "open") if c["id"] == conv["id"]]
    assert summary["first_response_due"]

    # The customer writes again right away: no second acknowledgement.
    send(gw, "sms", unique("s2"), "+34600111222", "hello??")
    settle()
    assert len([r for r in receiver.received() if r["path"] == "/sms"]) == 1
    assert len(acks(gw.get_json("marta", f"conversations/{conv['id']}"))) == 1


def test_acknowledge_false_on_an_adapter_and_custom_template_on_another(gateway, receiver):
    template = "Ref {reference} for {customer}: {owner} answers by {due}."
    gw = gateway({"routing": {"acknowledge": True},
                  "adapters": [shop_chat(receiver_path(receiver, "/chat"), acknowledge=False),
                               webhook("form", receiver_path(receiver, "/form"), "email", acknowledgement=template)]})
    quiet = gw.conversation_of(gw.ingest(unique("c"), "quiet@example.com", "no ack here please", name="Quim Roca"))
    loud = gw.conversation_of(send(gw, "form", unique("f"), "Olga@Example.com", "ack me", name="Olga Marín"))

    [req] = wait_until(lambda: [r for r in receiver.received() if r["path"] == "/form"], what="acknowledgement on form")
    owner_name = {"ana": "Ana García", "luis": "Luis Pérez"}[loud["owner"]]
    text = req["json"]["text"]
    assert text.startswith(f"Ref {loud['reference']} for Olga: {owner_name} answers by "), text
    assert "{" not in text and "}" not in text, text
    due = text[len(f"Ref {loud['reference']} for Olga: {owner_name} answers by "):-1]
    assert due and re.search(r"\d{1,2}:\d{2}", due), f"the due time is filled in: {text!r}"

    settle()
    assert [r for r in receiver.received() if r["path"] == "/chat"] == [], "acknowledge: false sends nothing"
    assert acks(gw.get_json("marta", f"conversations/{quiet['id']}")) == []
    assert len(acks(gw.get_json("marta", f"conversations/{loud['id']}"))) == 1


def test_acknowledgements_off_by_routing_but_on_for_one_adapter(gateway, receiver):
    gw = gateway({"routing": {"acknowledge": False},
                  "adapters": [shop_chat(receiver_path(receiver, "/chat")),
                               webhook("vip", receiver_path(receiver, "/vip"), acknowledge=True)]})
    gw.ingest(unique("c"), unique("plain"), "hello")
    vip = gw.conversation_of(send(gw, "vip", unique("v"), unique("vip"), "hello", name="Pau"))
    [req] = wait_until(lambda: [r for r in receiver.received() if r["path"] == "/vip"], what="acknowledgement on vip")
    assert vip["reference"] in req["json"]["text"]
    settle()
    assert [r["path"] for r in receiver.received()] == ["/vip"]


def test_reopened_request_is_acknowledged_again_only_after_the_quiet_period(gateway, receiver):
    gw = gateway({"routing": {"acknowledge": True, "acknowledge_quiet": "2s"}})
    customer = unique("rita")
    conv = gw.conversation_of(gw.ingest(unique("r1"), customer, "help", name="Rita"))
    owner = conv["owner"]
    wait_until(lambda: len(receiver.received()) == 1, what="first acknowledgement")

    # Resolved, and she answers "thanks!" at once: within the quiet period, no new acknowledgement.
    assert gw.api(owner, "POST", f"conversations/{conv['id']}/resolve").status_code == 200
    gw.ingest(unique("r2"), customer, "thanks!")
    settle()
    assert len(receiver.received()) == 1
    assert gw.get_json(owner, f"conversations/{conv['id']}")["status"] == "open"

    # Resolved again, and she comes back with a new problem after the quiet period: acknowledged,
    # with the same reference.
    assert gw.api(owner, "POST", f"conversations/{conv['id']}/resolve").status_code == 200
    time.sleep(2.5)
    gw.ingest(unique("r3"), customer, "a new problem")
    got = wait_until(lambda: receiver.received() if len(receiver.received()) == 2 else None, what="second acknowledgement")
    assert conv["reference"] in got[1]["json"]["text"]
    assert len(acks(gw.get_json("marta", f"conversations/{conv['id']}"))) == 2


def test_default_quiet_period_keeps_a_quick_reopen_unacknowledged_and_replies_still_flow(gateway, receiver):
    gw = gateway({"routing": {"acknowledge": True}})
    customer = unique("sara")
    first = gw.ingest(unique("s1"), customer, "help", name="Sara")
    conv = gw.conversation_of(first)
    owner = conv["owner"]
    wait_until(lambda: len(receiver.received()) == 1, what="acknowledgement")
    # An agent's reply is not mistaken for an acknowledgement, and stops the clock.
    r = gw.api(owner, "POST", f"conversations/{conv['id']}/replies", json={"body": "On it!"})
    assert r.status_code == 202, r.text
    wait_until(lambda: len(receiver.received()) == 2, what="agent reply")
    assert receiver.received()[1]["json"]["text"] == "On it!"
    assert gw.api(owner, "POST", f"conversations/{conv['id']}/resolve").status_code == 200
    gw.ingest(unique("s2"), customer, "one more thing")
    settle()
    assert len(receiver.received()) == 2, [r["json"]["text"] for r in receiver.received()]


def test_acknowledgement_without_an_available_agent_names_the_team(gateway, receiver):
    gw = gateway({"routing": {"acknowledge": True}})
    for agent in ("ana", "luis"):
        assert gw.api(agent, "PUT", "me/status", json={"status": "away"}).status_code == 200
    conv = gw.conversation_of(gw.ingest(unique("n"), unique("nobody"), "anyone there?"))
    assert conv.get("owner") is None
    [req] = wait_until(lambda: receiver.received(), what="acknowledgement")
    text = req["json"]["text"]
    assert conv["reference"] in text
    assert "{" not in text and "None" not in text and "null" not in text, text
    assert "Ana" not in text and "Luis" not in text, text


def test_acknowledgements_are_limited_per_address_and_per_domain(gateway, receiver):
    """Anyone who can write to the business could make it mail a victim again and again (each new
    address, each request after the quiet period): acknowledgements to one address and to one domain
    are limited, while the messages themselves are all stored and routed."""
    gw = gateway({"routing": {"acknowledge": True, "acknowledge_quiet": "1s",
                              "acknowledge_limits": {"per_address": 2, "address_window": "1h",
                                                     "per_domain": 3, "domain_window": "1h"}},
                  "adapters": [shop_chat(receiver.url), webhook("form", receiver_path(receiver, "/form"), "email")]})
    # One address, five requests (each one resolved, then the quiet period passes): two acknowledgements.
    for i in range(5):
        conv = gw.conversation_of(send(gw, "form", unique("v"), "victim@target.example", f"request {i}"))
        if i < 4:
            assert gw.api("marta", "POST", f"conversations/{conv['id']}/resolve").status_code == 200
            time.sleep(1.1)
    # Other addresses of the same domain: the domain allows three in all (two used above).
    for i in range(3):
        send(gw, "form", unique("d"), f"person{i}@target.example", "hello")
    # Another domain is not affected.
    send(gw, "form", unique("o"), "someone@elsewhere.example", "hello")
    settle()
    sent = [r["json"]["to"] for r in receiver.received() if r["path"] == "/form" and r["json"]]
    assert sent.count("victim@target.example") == 2, sent
    assert sum(1 for to in sent if to.endswith("@target.example")) == 3, sent
    assert "someone@elsewhere.example" in sent, sent
    # Every message was stored all the same.
    marta = gw.get_json("marta", "conversations?status=all")["conversations"]
    assert len(marta) == 5, marta
