"""SIGKILL mid-stream: every acknowledged message survives, and queued replies still go out once."""

import json
import sqlite3
import threading

import requests

from conftest import ADAPTER, message, sign, unique, wait_until

TOTAL = 1000
THREADS = 8
CUSTOMERS = 20
KILL_AFTER = 300


def test_acknowledged_messages_survive_sigkill(gateway):
    gw = gateway()
    run = unique("run")
    acked: list[str] = []
    failures: list[str] = []
    refused: list[str] = []
    lock = threading.Lock()
    next_index = iter(range(TOTAL))
    url, secret = gw.url + f"/hooks/{ADAPTER}", gw.secret
    enough = threading.Event()

    def client():
        session = requests.Session()
        while True:
            with lock:
                i = next(next_index, None)
            if i is None:
                return
            ext = f"{run}-{i}"
            body = json.dumps(message(ext, f"{run}-cust-{i % CUSTOMERS}", f"message {i}")).encode()
            try:
                r = session.post(url, data=body, timeout=10,
                                 headers={"Content-Type": "application/json", "X-Switchboard-Signature": sign(secret, body)})
            except requests.RequestException as e:
                with lock:
                    failures.append(type(e).__name__)
                continue
            with lock:
                if 200 <= r.status_code < 300:
                    acked.append(ext)
                    if len(acked) >= KILL_AFTER:
                        enough.set()
                else:
                    refused.append(f"{r.status_code} {r.text[:200]}")

    threads = [threading.Thread(target=client, daemon=True) for _ in range(THREADS)]
    for t in threads:
        t.start()
    assert enough.wait(60), f"only {len(acked)} messages acknowledged"
    gw.kill()
    for t in threads:
        t.join(60)
    with lock:
        acknowledged = set(acked)
    assert len(acknowledged) < TOTAL, "the kill came after the stream ended; not a mid-stream crash"
    assert failures, "no request failed after the kill?"
    assert not refused, f"the gateway refused valid messages: {refused[:5]}"

    gw.start()  # same config, same database
    db = sqlite3.connect(f"file:{gw.db_path}?mode=ro", uri=True, timeout=10)
    try:
        stored = {row[0] for row in db.execute(
            "SELECT external_id FROM messages WHERE direction = 'inbound' AND adapter = ?", (ADAPTER,))}
        per_id = db.execute(
            "SELECT COUNT(*), COUNT(DISTINCT external_id) FROM messages WHERE direction = 'inbound'").fetchone()
    finally:
        db.close()
    missing = acknowledged - stored
    assert not missing, f"{len(missing)} acknowledged messages lost, e.g. {sorted(missing)[:5]}"
    assert per_id[0] == per_id[1], "a message was stored twice"

    # The API agrees: each customer's contacts count matches what is stored, owners are assigned.
    convs = gw.conversations()
    assert len(convs) == len({int(e.rsplit("-", 1)[1]) % CUSTOMERS for e in stored})
    total_contacts = sum(gw.get_json("marta", f"conversations/{c['id']}")["customer"]["contacts"] for c in convs)
    assert total_contacts == len(stored)
    assert all(c["owner"] in ("ana", "luis") for c in convs)

    # And it keeps working after the crash.
    assert gw.post_hook(ADAPTER, message(unique("after"), unique("cust"), "after the crash")).status_code == 200


def test_queued_reply_survives_sigkill_and_is_delivered_once(gateway, receiver):
    gw = gateway({"delivery": {"max_attempts": 1000}})
    conv = gw.conversation_of(gw.ingest(unique("m"), unique("cust"), "hello"))
    owner = conv["owner"]

    receiver.always(500)
    failing = gw.api(owner, "POST", f"conversations/{conv['id']}/replies", json={"body": "first"}).json()
    wait_until(lambda: len([r for r in receiver.received() if r["json"]["text"] == "first"]) >= 2,
               10, what="the failing reply being retried")
    receiver.slow(0.5)
    slow = gw.api(owner, "POST", f"conversations/{conv['id']}/replies", json={"body": "second"}).json()
    wait_until(lambda: [r for r in receiver.received() if r["json"]["text"] == "second"], 10,
               what="the slow reply being attempted")
    gw.kill()
    assert not receiver.successes(), "nothing may have been delivered before the crash"

    receiver.heal()
    gw.start()
    for m in (failing, slow):
        gw.wait_delivery(conv["id"], m["id"], "delivered", timeout=15)

    keys = {}
    for r in receiver.received():
        keys.setdefault(r["json"]["text"], set()).add(r["headers"]["idempotency-key"])
    assert all(len(k) == 1 for k in keys.values()), f"a reply changed its idempotency key: {keys}"
    for text in ("first", "second"):
        [key] = keys[text]
        ok = receiver.successes(key)
        assert len(ok) == 1, f"reply {text!r} answered 2xx {len(ok)} times"
