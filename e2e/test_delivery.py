"""Replies leave through the webhook adapter's outbound URL, with retries, dead-lettering and retry."""

import hashlib
import hmac
import time

from conftest import unique, wait_until


def open_conversation(gw):
    ext = unique("ext")
    mid = gw.ingest(ext, unique("cust") + "@example.com", "where is my parcel?")
    conv = gw.conversation_of(mid)
    return conv, mid, ext


def reply(gw, agent, conv_id, body, **extra):
    r = gw.api(agent, "POST", f"conversations/{conv_id}/replies", json={"body": body, **extra})
    assert r.status_code == 202, r.text
    msg = r.json()
    assert msg["direction"] == "outbound" and msg["delivery"]["state"] == "queued"
    assert msg["delivery"]["attempts"] == 0
    return msg


def quiet_for(receiver, seconds):
    """Waits until the receiver saw no new request for `seconds` (to check nothing more arrives)."""
    count = len(receiver.received())
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        time.sleep(0.05)
        now = len(receiver.received())
        if now != count:
            count, deadline = now, time.monotonic() + seconds
    return receiver.received()


def test_reply_is_posted_signed_with_idempotency_key(gateway, receiver):
    gw = gateway()
    conv, mid, ext = open_conversation(gw)
    owner = conv["owner"]
    assert conv.get("first_response_due"), "a new customer message starts the first-response clock"
    later = gw.ingest(unique("ext"), conv["customer"]["identities"][0]["address"], "hello??")
    msg = reply(gw, owner, conv["id"], "It ships today.", in_reply_to=mid)
    assert msg["author"] == owner and msg["in_reply_to"] == mid

    delivered = gw.wait_delivery(conv["id"], msg["id"], "delivered")
    assert delivered["delivery"]["attempts"] == 1
    assert "error" not in delivered["delivery"]
    assert "first_response_due" not in gw.get_json(owner, f"conversations/{conv['id']}"), "answered: clock stops"

    [got] = receiver.received()
    assert got["path"] == "/send"
    body = got["json"]
    customer = conv["customer"]["identities"][0]["address"]
    assert body["conversation"] == conv["id"]
    assert body["to"] == customer
    assert body["text"] == "It ships today."
    assert body["in_reply_to"] == ext, "in_reply_to is the customer's external message id (the one answered)"
    key = got["headers"].get("idempotency-key")
    assert key, "Idempotency-Key header missing"
    assert key == str(msg["id"]), "Idempotency-Key is the reply's message id"
    assert body["id"] == msg["id"]
    assert got["headers"]["content-type"].startswith("application/json")
    expected = "sha256=" + hmac.new(gw.secret.encode(), got["body"], hashlib.sha256).hexdigest()
    assert got["headers"].get("x-switchboard-signature") == expected

    # Without in_reply_to, a reply answers the latest inbound message.
    second = reply(gw, owner, conv["id"], "And the rest tomorrow.")
    assert second["in_reply_to"] == later
    gw.wait_delivery(conv["id"], second["id"], "delivered")
    last = receiver.received()[-1]["json"]
    assert last["text"] == "And the rest tomorrow." and last["in_reply_to"] != ext

    # A delivered reply is not retryable.
    r = gw.api(owner, "POST", f"messages/{msg['id']}/retry")
    assert r.status_code == 422 and r.json()["error"]["code"] == "not_retryable"


def test_three_failures_then_delivered_exactly_once(gateway, receiver):
    gw = gateway()
    conv, _, _ = open_conversation(gw)
    receiver.fail_next(3)
    msg = reply(gw, conv["owner"], conv["id"], "retry me")
    delivered = gw.wait_delivery(conv["id"], msg["id"], "delivered")
    assert delivered["delivery"]["attempts"] == 4
    seen = quiet_for(receiver, 0.6)
    key = seen[0]["headers"]["idempotency-key"]
    assert [r["status"] for r in seen] == [500, 500, 500, 200]
    assert all(r["headers"]["idempotency-key"] == key for r in seen), "same key on every attempt"
    assert len(receiver.successes(key)) == 1


def test_always_failing_ends_failed_then_manual_retry_delivers(gateway, receiver):
    gw = gateway()
    conv, _, _ = open_conversation(gw)
    owner = conv["owner"]
    receiver.always(500)
    msg = reply(gw, owner, conv["id"], "are you there?")
    failed = gw.wait_delivery(conv["id"], msg["id"], "failed")
    assert failed["delivery"]["attempts"] == 4
    assert "500" in failed["delivery"].get("error", ""), failed
    assert len(quiet_for(receiver, 0.6)) == 4, "no attempts after max_attempts"

    # Only someone who sees the conversation may retry it.
    other = "luis" if owner == "ana" else "ana"
    assert gw.api(other, "POST", f"messages/{msg['id']}/retry").status_code == 403
    assert gw.api(owner, "POST", "messages/999999/retry").status_code == 404

    receiver.heal()
    r = gw.api(owner, "POST", f"messages/{msg['id']}/retry")
    assert r.status_code == 202, r.text
    assert r.json()["delivery"]["state"] == "queued"
    delivered = gw.wait_delivery(conv["id"], msg["id"], "delivered")
    assert delivered["delivery"]["state"] == "delivered"
    key = receiver.received()[0]["headers"]["idempotency-key"]
    assert len(receiver.successes(key)) == 1
    assert len(receiver.for_key(key)) == 5


def test_reply_validation(gateway):
    gw = gateway()
    conv, _, _ = open_conversation(gw)
    owner = conv["owner"]
    for body, status in [({"body": "   "}, 400), ({}, 400), ({"body": "x", "via": "nope"}, 422),
                         ({"body": "x", "in_reply_to": 999999}, 422)]:
        r = gw.api(owner, "POST", f"conversations/{conv['id']}/replies", json=body)
        assert r.status_code == status, (body, r.status_code, r.text)
        assert set(r.json()["error"]) == {"code", "message"}
    r = gw.api(owner, "POST", f"conversations/{conv['id']}/replies", data=b"{not json",
               headers={"Content-Type": "application/json"})
    assert r.status_code == 400
