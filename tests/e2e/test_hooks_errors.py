"""The inbound hook: deduplication and every refusal, with nothing half-stored."""

import json
import threading

from conftest import ADAPTER, message, sign, unique


def error_of(r, status):
    assert r.status_code == status, (r.status_code, r.text)
    assert r.headers["content-type"].startswith("application/json")
    err = r.json()["error"]
    assert isinstance(err["code"], str) and err["code"]
    assert isinstance(err["message"], str) and err["message"]
    return err


def test_same_webhook_twice_is_stored_once(gateway):
    gw = gateway()
    payload = message(unique("dup"), unique("cust"), "hello twice", name="Dup")
    first = gw.post_hook(ADAPTER, payload)
    assert first.status_code == 200, first.text
    assert first.json() == {"stored": 1, "duplicates": 0, "ignored": 0, "messages": first.json()["messages"]}
    second = gw.post_hook(ADAPTER, payload)
    assert second.status_code == 200, second.text
    assert second.json()["stored"] == 0 and second.json()["duplicates"] == 1
    assert second.json()["messages"] == first.json()["messages"]

    conv = gw.conversation_of(first.json()["messages"][0])
    inbound = [m for m in conv["messages"] if m["direction"] == "inbound"]
    assert [m["external_id"] for m in inbound] == [payload["id"]]
    assert conv["customer"]["contacts"] == 1
    assert len(gw.conversations()) == 1


def test_concurrent_duplicates_are_stored_once(gateway):
    gw = gateway()
    payload = message(unique("race"), unique("cust"), "posted by eight senders at once")
    barrier = threading.Barrier(8)
    answers = []

    def post():
        barrier.wait()
        r = gw.post_hook(ADAPTER, payload)
        answers.append((r.status_code, r.json()))

    threads = [threading.Thread(target=post) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert [s for s, _ in answers] == [200] * 8, answers
    assert sum(a["stored"] for _, a in answers) == 1, answers
    assert sum(a["duplicates"] for _, a in answers) == 7, answers
    assert len({a["messages"][0] for _, a in answers}) == 1
    conv = gw.conversation_of(answers[0][1]["messages"][0])
    assert len([m for m in conv["messages"] if m["direction"] == "inbound"]) == 1


def test_batch_posts_several_messages(gateway):
    gw = gateway()
    customer = unique("batch")
    batch = [message(unique("b"), customer, f"part {i}") for i in range(3)]
    r = gw.post_hook(ADAPTER, batch)
    assert r.status_code == 200, r.text
    assert r.json()["stored"] == 3 and len(r.json()["messages"]) == 3
    conv = gw.conversation_of(r.json()["messages"][0])
    assert [m["body"] for m in conv["messages"] if m["direction"] == "inbound"] == ["part 0", "part 1", "part 2"]


def test_refusals_store_nothing(gateway):
    gw = gateway({"server": {"max_body": "1k"}})
    baseline = gw.ingest(unique("ok"), unique("base"), "baseline")
    before = gw.conversations()
    assert len(before) == 1

    good = json.dumps(message(unique("m"), unique("cust"), "should not be stored")).encode()

    err = error_of(gw.post_hook(ADAPTER, raw=good, secret="wrong-secret"), 401)
    assert err["code"] == "bad_signature"
    error_of(gw.post_hook(ADAPTER, raw=good, secret=None), 401)
    tampered_sig = sign(gw.secret, good)
    tampered = good.replace(b"should not", b"would  not")
    error_of(gw.post_hook(ADAPTER, raw=tampered, secret=None,
                          headers={"X-Switchboard-Signature": tampered_sig}), 401)

    err = error_of(gw.post_hook(ADAPTER, raw=b'{"id": "x1", "from": "c", "text": '), 400)
    assert err["message"]

    no_text = {"id": unique("nt"), "from": unique("cust")}
    err = error_of(gw.post_hook(ADAPTER, no_text), 400)
    assert "text" in err["message"], err
    err = error_of(gw.post_hook(ADAPTER, {"from": unique("cust"), "text": "no id"}), 400)
    assert "message_id" in err["message"] or "/id" in err["message"], err
    err = error_of(gw.post_hook(ADAPTER, message(unique("ts"), unique("cust"), "bad ts", ts="yesterday-ish")), 400)

    # A batch with one bad item stores none of it.
    batch = [message(unique("ok"), unique("cust"), "fine"), {"id": unique("bad"), "from": "x"}]
    error_of(gw.post_hook(ADAPTER, batch), 400)

    big = json.dumps(message(unique("big"), unique("cust"), "x" * 4000)).encode()
    err = error_of(gw.post_hook(ADAPTER, raw=big), 413)

    err = error_of(gw.post_hook("no-such-adapter", raw=good, secret=gw.secret), 404)

    after = gw.conversations()
    assert after == before, "a refused request stored something"
    detail = gw.get_json("marta", f"conversations/{before[0]['id']}")
    assert [m["id"] for m in detail["messages"] if m["direction"] == "inbound"] == [baseline]
    # And the gateway still takes valid messages afterwards.
    assert gw.post_hook(ADAPTER, raw=good).status_code == 200
    assert len(gw.conversations()) == 2


def test_operations_endpoints(gateway):
    gw = gateway()
    assert gw.session.get(gw.url + "/healthz").json()["status"] == "alive"
    ready = gw.session.get(gw.url + "/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"
    assert ready.json()["adapters"] == {ADAPTER: "running"}
    gw.ingest(unique("m"), unique("cust"))
    metrics = gw.session.get(gw.url + "/metrics")
    assert metrics.status_code == 200 and metrics.headers["content-type"].startswith("text/plain")
    assert "switchboard_inbound_messages_total" in metrics.text
