"""SIGTERM: the gateway stops accepting, finishes what it acknowledged, and exits cleanly, even with
live event streams open."""

import json
import sqlite3
import threading
import time

import requests

from conftest import ADAPTER, message, sign, unique


def test_sigterm_under_load_drains_and_exits_cleanly(gateway):
    gw = gateway()
    run = unique("term")
    # An open event stream must not hold the shutdown up.
    stream = requests.get(gw.url + "/api/v1/events", headers={"Authorization": f"Bearer {gw.tokens['marta']}"},
                          stream=True, timeout=30)
    assert stream.status_code == 200
    acked, lock, stop = [], threading.Lock(), threading.Event()
    url, secret = gw.url + f"/hooks/{ADAPTER}", gw.secret

    def client(n):
        session = requests.Session()
        i = 0
        while not stop.is_set():
            ext = f"{run}-{n}-{i}"
            i += 1
            body = json.dumps(message(ext, f"{run}-cust-{i % 7}", "hello")).encode()
            try:
                r = session.post(url, data=body, timeout=10, headers={
                    "Content-Type": "application/json", "X-Switchboard-Signature": sign(secret, body)})
            except requests.RequestException:
                return
            if r.status_code == 200:
                with lock:
                    acked.append(ext)
            elif r.status_code != 503:
                raise AssertionError(f"unexpected answer during shutdown: {r.status_code} {r.text}")

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(4)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 30
    while len(acked) < 100 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(acked) >= 100, "the gateway acknowledged too little before the shutdown"
    started = time.monotonic()
    code = gw.stop()
    took = time.monotonic() - started
    stop.set()
    for t in threads:
        t.join(15)
    stream.close()
    assert code == 0, f"exit code {code}; stderr:\n{gw.stderr()}"
    assert took < 8, f"graceful shutdown took {took:.1f}s"

    db = sqlite3.connect(f"file:{gw.db_path}?mode=ro", uri=True, timeout=10)
    try:
        stored = {r[0] for r in db.execute("SELECT external_id FROM messages WHERE direction = 'inbound'")}
    finally:
        db.close()
    with lock:
        missing = set(acked) - stored
    assert not missing, f"{len(missing)} acknowledged messages are not stored"
