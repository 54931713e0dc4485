"""The inbound hook: deduplication and every refusal, with nothing half-stored."""

import json
import re
import subprocess
import threading
import time

from conftest import ADAPTER, BIN, message, sign, unique, wait_until


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


def test_memory_is_exported_as_gauges(gateway):
    """The RSS, and the allocator's bytes in use and held free: what an operator reads to tell a leak
    from memory the allocator keeps."""
    gw = gateway()
    gw.ingest(unique("m"), unique("cust"))

    def gauges():
        text = gw.session.get(gw.url + "/metrics", timeout=5).text
        found = {}
        for line in text.splitlines():
            name, _, value = line.partition(" ")
            if name in ("switchboard_process_resident_bytes", "switchboard_malloc_in_use_bytes", "switchboard_malloc_free_bytes"):
                found[name] = float(value)
        return found if len(found) == 3 else None

    found = wait_until(gauges, timeout=30, what="memory gauges in /metrics")
    with open(f"/proc/{gw.proc.pid}/status") as status:
        rss = next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmRSS:"))
    # The gauge is at most 5 s old: the same order of size as what the kernel says now.
    assert 0.5 * rss <= found["switchboard_process_resident_bytes"] <= 2 * rss, (found, rss)
    assert 0 < found["switchboard_malloc_in_use_bytes"] < found["switchboard_process_resident_bytes"], found


def test_ingest_write_and_flush_times_are_exported(gateway):
    """Each ingest group's transaction and each flush are timed apart, so an operator (and soak.sh,
    which reads the 25 ms bucket) can tell the writer's slow minutes from the disk's."""
    gw = gateway()

    def histograms():
        found = {}
        for line in gw.session.get(gw.url + "/metrics", timeout=5).text.splitlines():
            name, _, value = line.rpartition(" ")
            if name.startswith(("switchboard_ingest_write_seconds", "switchboard_ingest_flush_seconds")):
                found[name] = float(value)
        return found

    before = histograms()
    for _ in range(3):  # one after another: each is a group of its own
        gw.ingest(unique("m"), unique("cust"))
    after = histograms()
    written = after["switchboard_ingest_write_seconds_count"] - before.get("switchboard_ingest_write_seconds_count", 0)
    assert written == 3, (before, after)
    assert after['switchboard_ingest_write_seconds_bucket{le="0.025"}'] <= after["switchboard_ingest_write_seconds_count"]
    assert after["switchboard_ingest_flush_seconds_count"] - before.get("switchboard_ingest_flush_seconds_count", 0) >= 1


# ---------------------------------------------------------------------------------------------
# What no store can keep as it stands is refused, whatever the adapter (issue 15)


def test_nul_characters_are_refused_not_cut(gateway):
    """The attack: ids `a\\0b` and `a\\0c` were both stored as `a`, so the second message was
    answered 200 "duplicate" and lost. Now any NUL is a 400 naming the field, and nothing is stored."""
    gw = gateway()
    base = unique("nul")
    customer = unique("cust")
    for payload in (message(base + "\u0000first", customer, "one"), message(base + "\u0000second", customer, "two"),
                    message(unique("t"), customer, "hello\u0000world"), message(unique("f"), customer + "\u0000x", "hi"),
                    message(unique("n"), customer, "hi", name="Ann\u0000")):
        err = error_of(gw.post_hook(ADAPTER, payload), 400)
        assert "NUL" in err["message"], err
    assert gw.conversations() == []
    # The same id without the NUL is a plain new message.
    r = gw.post_hook(ADAPTER, message(base, customer, "fine"))
    assert r.status_code == 200 and r.json()["stored"] == 1, r.text


def test_ids_beyond_64_bits_stay_distinct(gateway):
    """Two different 20-digit JSON number ids used to become one (through a Double): the second
    message was a "duplicate" and lost."""
    gw = gateway()
    customer = unique("big")
    answers = []
    for digits in ("12345678901234567890", "12345678901234567891", "99999999999999999998", "99999999999999999999"):
        raw = ('{"id": %s, "from": "%s", "text": "id %s"}' % (digits, customer, digits)).encode()
        r = gw.post_hook(ADAPTER, raw=raw)
        assert r.status_code == 200, r.text
        answers.append(r.json())
    assert [a["stored"] for a in answers] == [1, 1, 1, 1], answers
    conv = gw.conversation_of(answers[0]["messages"][0])
    ids = [m["external_id"] for m in conv["messages"] if m["direction"] == "inbound"]
    assert ids == ["12345678901234567890", "12345678901234567891", "99999999999999999998", "99999999999999999999"]
    # A number that cannot be read exactly is no id.
    r = gw.post_hook(ADAPTER, raw=('{"id": 1.5, "from": "%s", "text": "x"}' % customer).encode())
    err = error_of(r, 400)
    assert "whole number" in err["message"], err


def test_impossible_times_are_refused(gateway):
    gw = gateway()
    customer = unique("time")
    for ts in ("NaN", "nan", "inf", "-Infinity", "1e300", "-1", "9999-12-31T00:00:00Z", 4102444800 * 1000 * 100):
        err = error_of(gw.post_hook(ADAPTER, message(unique("ts"), customer, "when?", ts=ts)), 400)
        assert "sent_at" in err["message"], (ts, err)
    assert gw.conversations() == []
    ok = gw.post_hook(ADAPTER, message(unique("ts"), customer, "now", ts=int(time.time())))
    assert ok.status_code == 200, ok.text


def test_a_hook_without_secret_or_open_is_refused_at_start(tmp_path):
    """Hooks that create customer data are never open by omission: check-config names the line,
    and serve does not start."""
    path = tmp_path / "open.yaml"
    path.write_text(OPEN_BY_OMISSION.format(db=tmp_path / "x.sqlite"))
    env = {"SB_E2E_HOOK_TOKEN": "token-ana-0123456789abcdef0123456789", "PATH": "/usr/bin:/bin"}
    result = subprocess.run([BIN, "check-config", "--config", str(path)], capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode == 1, result
    lines = [l for l in (result.stdout + result.stderr).splitlines() if l.strip()]
    for line_no, adapter_type in ((5, "webhook"), (8, "phone-log"), (11, "external")):
        assert any(l.startswith(f"{path}:{line_no}: adapters[") and "anyone could post" in l and "open: true" in l
                   for l in lines), (adapter_type, lines)
    assert all(re.match(rf"^{re.escape(str(path))}:\d+: ", l) for l in lines), lines
    serve = subprocess.run([BIN, "serve", "--config", str(path), "--port", "0"], capture_output=True, text=True,
                           timeout=60, env=env)
    assert serve.returncode != 0 and "anyone could post" in serve.stderr + serve.stdout

    fixed = path.read_text().replace("    type: webhook\n", "    type: webhook\n    open: true\n") \
        .replace("    format: asterisk-cdr\n", "    format: asterisk-cdr\n    secret_env: SB_E2E_CDR_SECRET\n") \
        .replace("    command: [\"true\"]\n", "    command: [\"true\"]\n    open: true\n")
    path.write_text(fixed)
    result = subprocess.run([BIN, "check-config", "--config", str(path)], capture_output=True, text=True, timeout=60,
                            env={**env, "SB_E2E_CDR_SECRET": "cdr-secret"})
    assert result.returncode == 0, result.stdout + result.stderr


OPEN_BY_OMISSION = """\
storage: {{ sqlite: {db} }}
agents:
  - {{ id: ana, name: "Ana", role: agent, teams: [support], token_env: SB_E2E_HOOK_TOKEN }}
adapters:
  - id: chat
    type: webhook
    outbound: {{ url: "http://127.0.0.1:9/send" }}
  - id: pbx
    type: phone-log
    format: asterisk-cdr
  - id: ext
    type: external
    command: ["true"]
"""

