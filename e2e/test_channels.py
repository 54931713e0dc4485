"""Channel rules and explicit channel choice: the core checks an adapter's capabilities before a
reply is queued, and `via` sends through another adapter that reaches the same identity."""

from conftest import ADAPTER, message, unique


def test_capabilities_refuse_before_queueing_and_via_switches_channel(gateway, receiver):
    base = {"id": ADAPTER, "type": "webhook", "team": "support", "secret_env": "SHOP_CHAT_SECRET",
            "identity": "email", "max_text": 20, "outbound": {"url": receiver.url + "/chat"}}
    other = {"id": "mail-bridge", "type": "webhook", "team": "support", "secret_env": "SHOP_CHAT_SECRET",
             "identity": "email", "outbound": {"url": receiver.url + "/mail"}}
    gw = gateway({"adapters": [base, other]})
    customer = unique("cap") + "@example.com"
    r = gw.post_hook(ADAPTER, message(unique("m"), customer.upper(), "hello"))
    assert r.status_code == 200, r.text
    [conv] = gw.conversations()
    owner = conv["owner"]

    # Too long for the channel: refused at once with the reason, nothing queued or sent.
    r = gw.api(owner, "POST", f"conversations/{conv['id']}/replies", json={"body": "x" * 21})
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == "too_long"
    assert "20" in r.json()["error"]["message"]
    detail = gw.get_json(owner, f"conversations/{conv['id']}")
    assert not [m for m in detail["messages"] if m["direction"] == "outbound"]

    # The agent chooses the other channel explicitly; it reaches the same (case-folded) address.
    r = gw.api(owner, "POST", f"conversations/{conv['id']}/replies", json={"body": "x" * 21, "via": "mail-bridge"})
    assert r.status_code == 202, r.text
    reply = r.json()
    assert reply["adapter"] == "mail-bridge"
    gw.wait_delivery(conv["id"], reply["id"], "delivered")
    [got] = receiver.received()
    assert got["path"].endswith("/mail")
    assert got["json"]["to"] == customer.lower(), "the customer's normalized e-mail identity"
    assert got["json"]["in_reply_to"] is None, "nothing was received through mail-bridge to answer"

    # The same identity on the other adapter is the same customer, in the same conversation.
    r = gw.post_hook("mail-bridge", message(unique("m"), customer, "by mail now"))
    assert r.status_code == 200
    assert [c["id"] for c in gw.conversations()] == [conv["id"]]
