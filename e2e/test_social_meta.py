"""The Meta adapters (WhatsApp Cloud API, Messenger) end to end: signed webhooks into conversations,
agent replies out to a local HTTP server playing the Graph API, status webhooks moving the delivery
state, duplicates stored once, bad signatures refused, and Meta's GET verification handshake."""

from __future__ import annotations

import json
import os
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from conftest import ADAPTER, REPO, PlatformServer, message, metric, sign, unique, wait_until

APP_SECRET = "meta-e2e-app-secret-" + uuid.uuid4().hex[:8]
VERIFY_TOKEN = "meta-e2e-verify-" + uuid.uuid4().hex[:8]
ACCESS_TOKEN = "meta-e2e-access-" + uuid.uuid4().hex[:8]
PHONE_NUMBER_ID = "106540352242922"
PAGE_ID = "106000000000001"
CLOSED_WINDOW_SUFFIX = "0000"  # WhatsApp recipients ending so are answered with error 131047
ENV = {"META_APP_SECRET": APP_SECRET, "META_VERIFY_TOKEN": VERIFY_TOKEN, "META_ACCESS_TOKEN": ACCESS_TOKEN}
# The platforms' sending times are recent: the 24-hour window runs from them.
NOW = int(time.time())
NOW_MS = NOW * 1000
CORPUS = Path(os.environ.get("SWITCHBOARD_CORPUS") or (REPO / ".." / "shared" / "corpus"))


class FakeGraph(PlatformServer):
    """A real HTTP server playing the Graph API send endpoints; records every request."""

    def __init__(self):
        super().__init__(lambda record, n: self.answer(record["path"], record["json"], n))

    @staticmethod
    def answer(path: str, doc: dict | None, n: int):
        if path == f"/v21.0/{PHONE_NUMBER_ID}/messages":
            if str((doc or {}).get("to", "")).endswith(CLOSED_WINDOW_SUFFIX):
                return 400, {"error": {
                    "message": "(#131047) Re-engagement message", "type": "OAuthException", "code": 131047,
                    "error_data": {"messaging_product": "whatsapp",
                                   "details": "Message failed to send because more than 24 hours have passed "
                                              "since the customer last replied to this number."},
                    "fbtrace_id": "AE2eTrace"}}
            whom = doc.get("to") or doc.get("recipient")
            return 200, {"messaging_product": "whatsapp", "contacts": [{"input": whom, "wa_id": whom}],
                         "messages": [{"id": f"wamid.E2E.OUT.{n}"}]}
        if path == f"/v21.0/{PAGE_ID}/messages":
            return 200, {"recipient_id": doc["recipient"]["id"], "message_id": f"m_E2E_OUT_{n}"}
        return 404, {"error": {"message": "Unknown path components", "type": "OAuthException", "code": 2500}}

    def received(self) -> list[dict]:
        with self.lock:
            return list(self.requests)


@pytest.fixture
def graph():
    g = FakeGraph()
    yield g
    g.close()


def whatsapp_adapter(graph: FakeGraph, phone_number_id: str = PHONE_NUMBER_ID) -> dict:
    return {"id": "wa", "type": "whatsapp", "team": "support", "api_base": graph.base,
            "phone_number_id": phone_number_id, "access_token_env": "META_ACCESS_TOKEN",
            "app_secret_env": "META_APP_SECRET", "verify_token_env": "META_VERIFY_TOKEN", "template": "order_update"}


def messenger_adapter(graph: FakeGraph) -> dict:
    return {"id": "fb", "type": "messenger", "team": "support", "api_base": graph.base, "page_id": PAGE_ID,
            "access_token_env": "META_ACCESS_TOKEN", "app_secret_env": "META_APP_SECRET",
            "verify_token_env": "META_VERIFY_TOKEN"}


def sms_like_adapter(receiver) -> dict:
    """The generic webhook adapter with phone identities: a customer known by phone elsewhere."""
    return {"id": ADAPTER, "type": "webhook", "team": "support", "secret_env": "SHOP_CHAT_SECRET",
            "identity": "phone", "outbound": {"url": receiver.url}}


def start(gateway, graph, receiver):
    return gateway({"adapters": [sms_like_adapter(receiver), whatsapp_adapter(graph), messenger_adapter(graph)]},
                   env=ENV)


def post_meta(gw, adapter: str, body: bytes, secret: str = APP_SECRET):
    return gw.post_hook(adapter, raw=body, secret=None, headers={"X-Hub-Signature-256": sign(secret, body)})


def wa_envelope(value: dict, phone_number_id: str = PHONE_NUMBER_ID) -> bytes:
    value = {"messaging_product": "whatsapp",
             "metadata": {"display_phone_number": "15550001111", "phone_number_id": phone_number_id}, **value}
    doc = {"object": "whatsapp_business_account",
           "entry": [{"id": "100000000000001", "changes": [{"field": "messages", "value": value}]}]}
    # Meta sends non-ASCII as \\u escapes; the signature is over exactly these bytes.
    return json.dumps(doc).encode()


def wa_text(wamid: str, wa_id: str, text: str, name: str = "Ana Lopez", ts: str | None = None) -> bytes:
    return wa_envelope({"contacts": [{"profile": {"name": name}, "wa_id": wa_id}],
                        "messages": [{"from": wa_id, "id": wamid, "timestamp": ts or str(int(time.time())), "type": "text",
                                      "text": {"body": text}}]})


def wa_status(wamid: str, wa_id: str, status: str) -> bytes:
    return wa_envelope({"statuses": [{"id": wamid, "status": status, "timestamp": "1718000100", "recipient_id": wa_id}]})


def new_wa_id() -> str:
    return "3460" + str(uuid.uuid4().int)[:7] + "1"


def test_whatsapp_message_reply_and_status_round_trip(gateway, graph, receiver):
    gw = start(gateway, graph, receiver)
    wa_id, wamid = new_wa_id(), "wamid." + unique("IN")
    body = wa_text(wamid, wa_id, "Hola, mi pedido no ha llegado 😞")

    r = post_meta(gw, "wa", body)
    assert r.status_code == 200, r.text
    assert r.json()["stored"] == 1
    [msg_id] = r.json()["messages"]

    # Posted again (Meta delivers at least once): stored once, answered 200 again.
    again = post_meta(gw, "wa", body)
    assert again.status_code == 200, again.text
    assert again.json()["stored"] == 0 and again.json()["duplicates"] == 1
    assert again.json()["messages"] == [msg_id]

    conv = gw.conversation_of(msg_id)
    assert conv["customer"]["name"] == "Ana Lopez"
    assert {"channel": "phone", "adapter": "wa", "address": "+" + wa_id} in conv["customer"]["identities"]
    inbound = [m for m in conv["messages"] if m["direction"] == "inbound"]
    assert [(m["external_id"], m["body"], m["adapter"]) for m in inbound] == [(wamid, "Hola, mi pedido no ha llegado 😞", "wa")]

    # The reply box knows the 24-hour window before the agent writes.
    [wa] = [c for c in conv["channels"] if c["adapter"] == "wa"]
    assert wa["can_reply"] and wa["default"] and wa["window_closes_at"]
    left = datetime.fromisoformat(wa["window_closes_at"].replace("Z", "+00:00")) - datetime.now(timezone.utc)
    assert timedelta(hours=23, minutes=50) < left <= timedelta(hours=24)

    # The agent answers; the fake Graph API receives the Cloud API request.
    owner = conv["owner"]
    # Picking the message answered makes WhatsApp quote it (context); a plain reply does not.
    r = gw.api(owner, "POST", f"conversations/{conv['id']}/replies",
               json={"body": "¡Lo revisamos ahora!", "in_reply_to": inbound[0]["id"]})
    assert r.status_code == 202, r.text
    reply = r.json()
    [sent] = wait_until(graph.received, what="the Cloud API request")
    assert sent["path"] == f"/v21.0/{PHONE_NUMBER_ID}/messages"
    assert sent["headers"]["authorization"] == f"Bearer {ACCESS_TOKEN}"
    assert sent["headers"]["content-type"].startswith("application/json")
    assert sent["json"] == {"messaging_product": "whatsapp", "recipient_type": "individual", "to": wa_id,
                            "type": "text", "text": {"body": "¡Lo revisamos ahora!"},
                            "context": {"message_id": wamid}}

    # Accepted by WhatsApp: 'sent' with the wamid it answered; the status webhooks move it on.
    out = gw.wait_delivery(conv["id"], reply["id"], "sent")
    assert out["external_id"] == "wamid.E2E.OUT.1"
    r = post_meta(gw, "wa", wa_status(out["external_id"], wa_id, "delivered"))
    assert r.status_code == 200, r.text
    gw.wait_delivery(conv["id"], reply["id"], "delivered", timeout=5)
    r = post_meta(gw, "wa", wa_status(out["external_id"], wa_id, "read"))
    assert r.status_code == 200, r.text
    r = post_meta(gw, "wa", wa_status(out["external_id"], wa_id, "sent"))  # late and out of order
    assert r.status_code == 200, r.text
    assert gw.find_message(conv["id"], reply["id"])["delivery"]["state"] == "delivered"

    # Still one inbound message and one reply: statuses are not messages.
    detail = gw.get_json("marta", f"conversations/{conv['id']}")
    assert len([m for m in detail["messages"] if m["direction"] == "inbound"]) == 1
    assert len([m for m in detail["messages"] if m["direction"] == "outbound"]) == 1
    assert len(graph.received()) == 1


def test_whatsapp_message_for_another_number_of_the_app_is_not_stored(gateway, graph, receiver):
    """The attack: one Meta app, several numbers, one callback URL; a message to another number was
    stored here and answered from the wrong number. Now it is answered 200 (it is Meta's, signed),
    not stored, and said so in the answer and the metrics."""
    gw = start(gateway, graph, receiver)
    path = CORPUS / "social" / "whatsapp" / "constructed" / "batched_two_messages_plus_status.json"
    bodies = [wa_envelope({"contacts": [{"profile": {"name": "Eve"}, "wa_id": "34600999000"}],
                           "messages": [{"from": "34600999000", "id": "wamid." + unique("OTHER"), "timestamp": str(NOW + 0),
                                         "type": "text", "text": {"body": "for the other shop"}}]},
                          phone_number_id="999999999999999")]
    if path.exists():
        bodies.append(path.read_bytes())  # addressed to 200000000000002
    for body in bodies:
        r = post_meta(gw, "wa", body)
        assert r.status_code == 200, r.text
        answer = r.json()
        assert answer["stored"] == 0 and answer["ignored"] >= 1, answer
        assert [x["reason"] for x in answer["ignored_reasons"]] == ["other_phone_number"], answer
    assert gw.conversations() == []
    expected = 1 + (3 if path.exists() else 0)
    assert metric(gw.metrics(), "switchboard_inbound_ignored_total", adapter="wa", reason="other_phone_number") == expected


def test_whatsapp_user_known_only_by_user_id_is_stored_and_answered(gateway, graph, receiver):
    """A WhatsApp user who shares a username has a business-scoped user id and no phone number in
    the webhook. Such a message was answered 200 with stored 0, ignored 0 and lost; Meta does not
    send it again. Now it is a `whatsapp-user` customer, and the reply goes to that id."""
    gw = start(gateway, graph, receiver)
    bsuid, wamid = "US.1349120865530274" + str(uuid.uuid4().int)[:4], "wamid." + unique("BSUID")
    body = wa_envelope({"contacts": [{"profile": {"name": "Maria", "username": "@maria.lopez"}, "user_id": bsuid}],
                        "messages": [{"id": wamid, "timestamp": str(NOW + 0), "type": "text",
                                      "text": {"body": "Hola, soy Maria"}}]})
    r = post_meta(gw, "wa", body)
    assert r.status_code == 200, r.text
    assert r.json()["stored"] == 1 and r.json()["ignored"] == 0, r.json()
    conv = gw.conversation_of(r.json()["messages"][0])
    assert conv["customer"]["name"] == "Maria"
    assert {"channel": "whatsapp-user", "adapter": "wa", "address": bsuid} in conv["customer"]["identities"]
    inbound = [m for m in conv["messages"] if m["direction"] == "inbound"]
    assert inbound[0]["metadata"]["whatsapp_username"] == "@maria.lopez"

    out = gw.api(conv["owner"], "POST", f"conversations/{conv['id']}/replies", json={"body": "¡Hola Maria!"})
    assert out.status_code == 202, out.text
    gw.wait_delivery(conv["id"], out.json()["id"], "sent")
    [sent] = graph.received()
    assert sent["json"] == {"messaging_product": "whatsapp", "recipient_type": "individual", "recipient": bsuid,
                            "type": "text", "text": {"body": "¡Hola Maria!"}}

    # With both a phone number and a user id, the phone is the identity (the same customer as on
    # SMS) and the user id is kept with the message.
    wa_id = new_wa_id()
    both = wa_envelope({"contacts": [{"profile": {"name": "Kim"}, "wa_id": wa_id, "user_id": "ES.55" + wa_id}],
                        "messages": [{"from": wa_id, "id": "wamid." + unique("BOTH"), "timestamp": str(NOW + 0),
                                      "type": "text", "text": {"body": "hi"}}]})
    r = post_meta(gw, "wa", both)
    assert r.status_code == 200 and r.json()["stored"] == 1, r.text
    kim = gw.conversation_of(r.json()["messages"][0])
    assert {"channel": "phone", "adapter": "wa", "address": "+" + wa_id} in kim["customer"]["identities"]
    [m] = [m for m in kim["messages"] if m["direction"] == "inbound"]
    assert m["metadata"]["whatsapp_user_id"] == "ES.55" + wa_id
    # ... and joined to the phone: the customer is known by both from now on.
    assert ("whatsapp-user", "ES.55" + wa_id) in {(i["channel"], i["address"]) for i in kim["customer"]["identities"]}
    # Later she writes with her user id only: the same customer, the same conversation.
    later = wa_envelope({"contacts": [{"profile": {"name": "Kim"}, "user_id": "ES.55" + wa_id}],
                         "messages": [{"from_user_id": "ES.55" + wa_id, "id": "wamid." + unique("LATER"),
                                       "timestamp": "1718000100", "type": "text", "text": {"body": "me again"}}]})
    r = post_meta(gw, "wa", later)
    assert r.status_code == 200 and r.json()["stored"] == 1, r.text
    assert gw.conversation_of(r.json()["messages"][0])["id"] == kim["id"]


def test_bad_signature_is_401_and_nothing_is_stored(gateway, graph, receiver):
    gw = start(gateway, graph, receiver)
    body = wa_text("wamid." + unique("BAD"), new_wa_id(), "forged")
    for headers in ({"X-Hub-Signature-256": sign("not-the-app-secret", body)}, {}):
        r = gw.post_hook("wa", raw=body, secret=None, headers=headers)
        assert r.status_code == 401, r.text
        assert r.json()["error"]["code"] == "bad_signature"
    tampered = body.replace(b"forged", b"forgeD")
    r = gw.post_hook("wa", raw=tampered, secret=None, headers={"X-Hub-Signature-256": sign(APP_SECRET, body)})
    assert r.status_code == 401, r.text
    assert gw.conversations() == []


def test_verification_handshake(gateway, graph, receiver):
    gw = start(gateway, graph, receiver)
    for adapter in ("wa", "fb"):
        params = {"hub.mode": "subscribe", "hub.challenge": "1158201444", "hub.verify_token": VERIFY_TOKEN}
        r = gw.session.get(f"{gw.url}/hooks/{adapter}", params=params, timeout=10)
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith("text/plain")
        assert r.text == "1158201444"
        r = gw.session.get(f"{gw.url}/hooks/{adapter}", params={**params, "hub.verify_token": "wrong"}, timeout=10)
        assert r.status_code == 403, r.text
        assert r.json()["error"]["code"] == "forbidden"


def test_batched_corpus_webhook_stores_each_message(gateway, graph, receiver):
    path = CORPUS / "social" / "whatsapp" / "constructed" / "batched_two_messages_plus_status.json"
    if not path.exists():
        pytest.skip(f"corpus not found at {CORPUS} (set SWITCHBOARD_CORPUS)")
    body = path.read_bytes()  # in place, byte for byte: the signature covers the raw file
    # The file is addressed to phone number 200000000000002: the adapter of that number takes it.
    gw = gateway({"adapters": [whatsapp_adapter(graph, phone_number_id="200000000000002")]}, env=ENV)
    r = post_meta(gw, "wa", body)
    assert r.status_code == 200, r.text
    assert r.json()["stored"] == 2 and r.json()["ignored"] == 1, r.json()
    # The status names a reply this gateway never sent: kept aside, and said so.
    assert r.json()["ignored_reasons"] == [{"count": 1, "reason": "status_for_unknown_message"}], r.json()
    conv = gw.conversation_of(r.json()["messages"][0])
    assert {"channel": "phone", "adapter": "wa", "address": "+5215550002222"} in conv["customer"]["identities"]
    inbound = [m for m in conv["messages"] if m["direction"] == "inbound"]
    assert [m["external_id"] for m in inbound] == ["wamid.ACCEPTANCE.BATCH.0001", "wamid.ACCEPTANCE.BATCH.0002"]
    assert inbound[1]["body"] == "factura"


def test_channel_rules_template_hint_and_permanent_meta_errors(gateway, graph, receiver):
    gw = start(gateway, graph, receiver)
    # A customer known only by phone (through the SMS-like adapter) cannot be started on WhatsApp.
    phone = "+3460" + str(uuid.uuid4().int)[:7]
    r = gw.post_hook(ADAPTER, message(unique("sms"), phone, "call me maybe"))
    assert r.status_code == 200, r.text
    conv = gw.conversation_of(r.json()["messages"][0])
    r = gw.api(conv["owner"], "POST", f"conversations/{conv['id']}/replies", json={"body": "hi on WhatsApp", "via": "wa"})
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == "cannot_initiate"
    assert "send the approved template 'order_update' instead" in r.json()["error"]["message"]

    # Too long for WhatsApp (4096 characters): refused before queueing.
    wa_id = new_wa_id()[:-4] + CLOSED_WINDOW_SUFFIX
    r = post_meta(gw, "wa", wa_text("wamid." + unique("IN"), wa_id, "hello"))
    assert r.status_code == 200, r.text
    conv = gw.conversation_of(r.json()["messages"][0])
    r = gw.api(conv["owner"], "POST", f"conversations/{conv['id']}/replies", json={"body": "x" * 4097})
    assert r.status_code == 422 and r.json()["error"]["code"] == "too_long", r.text

    # WhatsApp refuses the send as outside the window: failed at once, Meta's reason visible.
    r = gw.api(conv["owner"], "POST", f"conversations/{conv['id']}/replies", json={"body": "are you there?"})
    assert r.status_code == 202, r.text
    failed = gw.wait_delivery(conv["id"], r.json()["id"], "failed")
    assert failed["delivery"]["attempts"] == 1
    assert "131047" in failed["delivery"]["error"] and "Re-engagement message" in failed["delivery"]["error"]
    assert "order_update" in failed["delivery"]["error"]


def test_messenger_message_reply_and_delivery(gateway, graph, receiver):
    gw = start(gateway, graph, receiver)
    psid, mid = "24" + str(uuid.uuid4().int)[:14], "m_" + unique("msgr")
    event = {"sender": {"id": psid}, "recipient": {"id": PAGE_ID}, "timestamp": NOW_MS + 0,
             "message": {"mid": mid, "text": "Hi, my package arrived damaged"}}
    body = json.dumps({"object": "page", "entry": [{"id": PAGE_ID, "time": NOW_MS + 500, "messaging": [event]}]}).encode()
    r = post_meta(gw, "fb", body)
    assert r.status_code == 200 and r.json()["stored"] == 1, r.text
    conv = gw.conversation_of(r.json()["messages"][0])
    assert {"channel": f"messenger:{PAGE_ID}", "adapter": "fb", "address": psid} in conv["customer"]["identities"]

    r = gw.api(conv["owner"], "POST", f"conversations/{conv['id']}/replies", json={"body": "Sorry to hear that!"})
    assert r.status_code == 202, r.text
    reply = r.json()
    [sent] = wait_until(graph.received, what="the Send API request")
    assert sent["path"] == f"/v21.0/{PAGE_ID}/messages"
    assert sent["headers"]["authorization"] == f"Bearer {ACCESS_TOKEN}"
    assert sent["json"] == {"recipient": {"id": psid}, "messaging_type": "RESPONSE",
                            "message": {"text": "Sorry to hear that!"}}
    out = gw.wait_delivery(conv["id"], reply["id"], "sent")

    # Our own send echoed back is not a customer message; the delivery receipt moves the state.
    echo = {"sender": {"id": PAGE_ID}, "recipient": {"id": psid}, "timestamp": NOW_MS + 1000,
            "message": {"is_echo": True, "mid": out["external_id"], "text": "Sorry to hear that!"}}
    delivery = {"sender": {"id": psid}, "recipient": {"id": PAGE_ID}, "timestamp": NOW_MS + 2000,
                "delivery": {"mids": [out["external_id"]], "watermark": NOW_MS + 1500}}
    body = json.dumps({"object": "page", "entry": [{"id": PAGE_ID, "time": NOW_MS + 2500,
                                                   "messaging": [echo, delivery]}]}).encode()
    r = post_meta(gw, "fb", body)
    assert r.status_code == 200, r.text
    assert r.json()["stored"] == 0
    gw.wait_delivery(conv["id"], reply["id"], "delivered", timeout=5)
    detail = gw.get_json("marta", f"conversations/{conv['id']}")
    assert len([m for m in detail["messages"] if m["direction"] == "inbound"]) == 1
