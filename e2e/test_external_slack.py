"""Out-of-process adapters end to end: the real gateway runs `adapters/slack.py` (written with the
Python SDK) as a `type: external` adapter. Slack's signed Events API payloads from the corpus arrive
in a conversation, replies leave through chat.postMessage (a local server playing Slack) into the
customer's thread, forged and stale requests are refused, and killing the adapter process loses
nothing. A push-style adapter (the SDK's on-disk buffer of unacknowledged messages) is killed
mid-stream too, and every line both sides write is checked against docs/adapter-protocol.schema.json.

Corpus files and signature vectors are read in place from $SWITCHBOARD_CORPUS (default
<repo>/../shared/corpus)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import jsonschema
import pytest
import requests

from conftest import REPO, wait_until

CORPUS = Path(os.environ.get("SWITCHBOARD_CORPUS") or REPO.parent / "shared" / "corpus")
SLACK_VECTORS = json.loads((CORPUS / "signatures" / "test_vectors.json").read_text())["slack"]
SLACK_DIR = CORPUS / "social" / "slack"
SLACK_ADAPTER = REPO / "adapters" / "slack.py"
SDK_DIR = REPO / "sdk" / "python"
SCHEMA = json.loads((REPO / "docs" / "adapter-protocol.schema.json").read_text())

SECRET = "acceptance_slack_signing_secret"  # the corpus vectors' signing secret
BOT_TOKEN = "xoxb-e2e-bot-token"
NORMAL = "zulip/message_with_normal_text.json"
NORMAL_VECTOR = next(v for v in SLACK_VECTORS if v.get("file", "").endswith(NORMAL))
NOW = int(NORMAL_VECTOR["X-Slack-Request-Timestamp"]) + 4  # the adapter's clock: just after that message
CHANNEL, TS, USER = "C06NRA6JLER", "1719209506.817929", "U06NU4E26M9"


def corpus(relative: str) -> bytes:
    return (SLACK_DIR / relative).read_bytes()


def slack_signature(body: bytes, ts: int, secret: str = SECRET) -> str:
    return "v0=" + hmac.new(secret.encode(), b"v0:%d:" % ts + body, hashlib.sha256).hexdigest()


def post_slack(gw, body: bytes, ts: int | None = None, signature: str | None = None, retry: int = 0,
               headers: dict | None = None, timeout=15):
    """POSTs as Slack does: signed over the raw body, with the retry counter on re-sends."""
    ts = NOW if ts is None else ts
    h = {"Content-Type": "application/json", "X-Slack-Request-Timestamp": str(ts),
         "X-Slack-Signature": signature or slack_signature(body, ts)}
    if retry:
        h.update({"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_error"})
    h.update(headers or {})
    return gw.post_hook("slack", raw=body, secret=None, headers=h, timeout=timeout)


def post_until_accepted(gw, body: bytes, deadline=30.0):
    """Slack's retries: a 5xx (or no answer) is tried again until it gets its 200."""
    end, attempt = time.monotonic() + deadline, 0
    while True:
        try:
            r = post_slack(gw, body, retry=attempt)
            if r.status_code == 200:
                return r
            assert r.status_code >= 500, f"refused: {r.status_code} {r.text}"
        except requests.RequestException:
            pass
        assert time.monotonic() < end, "Slack's retries ran out"
        attempt += 1
        time.sleep(0.2)


def message_event(text: str, ts: str, user: str = USER, channel: str = CHANNEL, thread_ts: str | None = None,
                  event_id: str | None = None) -> bytes:
    """A message event shaped like the corpus one, with its own text and timestamps."""
    payload = json.loads(corpus(NORMAL))
    event = payload["event"]
    event.update({"text": text, "ts": ts, "event_ts": ts, "user": user, "channel": channel})
    event.pop("blocks", None)
    if thread_ts:
        event["thread_ts"] = thread_ts
    payload["event_id"] = event_id or "Ev" + ts.replace(".", "")
    return json.dumps(payload).encode()


class SlackAPI:
    """A local server playing Slack's Web API: records chat.postMessage calls and answers like Slack."""

    def __init__(self):
        self.calls: list[dict] = []
        self.lock = threading.Lock()
        self.counter = 0
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with api.lock:
                    api.counter += 1
                    ts = "1719300000.%06d" % api.counter
                    call = {"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()},
                            "json": json.loads(body or b"{}")}
                    api.calls.append(call)
                answer = {"ok": True, "channel": call["json"].get("channel"), "ts": ts}
                if self.headers.get("Authorization") != "Bearer " + BOT_TOKEN:
                    answer = {"ok": False, "error": "invalid_auth"}
                data = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def posts(self, text: str | None = None) -> list[dict]:
        with self.lock:
            return [c for c in self.calls if text is None or c["json"].get("text") == text]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def slack_api():
    api = SlackAPI()
    yield api
    api.close()


def slack_adapter(api_base: str, **extra) -> dict:
    return {"id": "slack", "type": "external", "team": "support",
            "command": [sys.executable, str(SLACK_ADAPTER)],
            "env": {"SLACK_FAKE_NOW": str(NOW)},
            "env_from": {"SLACK_SIGNING_SECRET": "E2E_SLACK_SIGNING_SECRET", "SLACK_BOT_TOKEN": "E2E_SLACK_BOT_TOKEN"},
            "config": {"api_base": api_base, "rate_per_second": "50", "timeout": "5"},
            "deliver_timeout": "5s", "request_timeout": "5s",
            # The gateway forwards every post: the process checks Slack's signature itself.
            "open": True, **extra}


SLACK_ENV = {"E2E_SLACK_SIGNING_SECRET": SECRET, "E2E_SLACK_BOT_TOKEN": BOT_TOKEN}


def adapter_state(gw, adapter="slack") -> str:
    return gw.session.get(gw.url + "/readyz", timeout=5).json()["adapters"].get(adapter, "")


def start_slack_gateway(gateway, slack_api, delivery=None, **extra):
    overrides = {"adapters": [slack_adapter(slack_api.base, **extra)]}
    if delivery:
        overrides["delivery"] = delivery
    gw = gateway(overrides, env=SLACK_ENV)
    wait_until(lambda: adapter_state(gw) == "running", 20, what="the Slack adapter process to say hello")
    return gw


def child_pids(gw, needle: str) -> list[int]:
    """The gateway's child processes whose command line contains `needle`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, IndexError, ValueError):
            continue
        if ppid == gw.proc.pid and needle in cmdline:
            found.append(int(entry.name))
    return found


def conversation_with(gw, external_id: str):
    for c in gw.conversations():
        detail = gw.get_json("marta", f"conversations/{c['id']}")
        if any(m.get("external_id") == external_id for m in detail["messages"]):
            return detail
    return None


def reply(gw, conv, body: str):
    r = gw.api(conv["owner"] or "marta", "POST", f"conversations/{conv['id']}/replies", json={"body": body})
    assert r.status_code == 202, r.text
    return r.json()


# ---------------------------------------------------------------------------------------------


def test_url_verification_handshake(gateway, slack_api):
    gw = start_slack_gateway(gateway, slack_api)
    for name in ("python-slack-events-api/url_challenge.json", "zulip/challenge_handshake_payload.json"):
        body = corpus(name)
        r = post_slack(gw, body)
        assert r.status_code == 200, r.text
        assert r.json() == {"challenge": json.loads(body)["challenge"]}
    # The handshake is signed like everything else: a forged one is refused.
    r = post_slack(gw, corpus("python-slack-events-api/url_challenge.json"), signature="v0=" + "0" * 64)
    assert r.status_code == 401
    assert gw.conversations() == []


def test_message_arrives_and_the_reply_goes_back_into_its_thread(gateway, slack_api):
    gw = start_slack_gateway(gateway, slack_api)
    # The corpus message with the signature Slack computed for it (the vector's own headers).
    r = post_slack(gw, corpus(NORMAL), ts=int(NORMAL_VECTOR["X-Slack-Request-Timestamp"]),
                   signature=NORMAL_VECTOR["X-Slack-Signature"])
    assert r.status_code == 200, r.text
    assert r.json()["stored"] == 1
    # Slack's retry of the same event is recognised: stored once, answered 200 again.
    again = post_slack(gw, corpus(NORMAL), retry=1)
    assert again.status_code == 200 and again.json()["duplicates"] == 1

    conv = conversation_with(gw, f"{CHANNEL}:{TS}")
    assert conv is not None
    inbound = [m for m in conv["messages"] if m["direction"] == "inbound"]
    assert [m["body"] for m in inbound] == ["Hello, this is a normal text message"]
    assert any(i["channel"] == "slack" and i["address"] == USER for i in conv["customer"]["identities"])

    sent = reply(gw, conv, "Thanks, looking into it")
    delivered = gw.wait_delivery(conv["id"], sent["id"], "delivered", timeout=20)
    [call] = slack_api.posts("Thanks, looking into it")
    assert call["path"] == "/api/chat.postMessage"
    assert call["headers"]["authorization"] == "Bearer " + BOT_TOKEN
    assert call["headers"]["content-type"].startswith("application/json")
    assert call["json"] == {"channel": CHANNEL, "text": "Thanks, looking into it", "thread_ts": TS}
    assert delivered["external_id"].startswith(CHANNEL + ":")


def test_a_threaded_message_is_answered_in_its_thread(gateway, slack_api):
    gw = start_slack_gateway(gateway, slack_api)
    body = message_event("any news?", ts="1719209508.000200", thread_ts=TS)
    assert post_slack(gw, body).json()["stored"] == 1
    conv = conversation_with(gw, f"{CHANNEL}:1719209508.000200")
    sent = reply(gw, conv, "Yes: it ships today")
    gw.wait_delivery(conv["id"], sent["id"], "delivered", timeout=20)
    [call] = slack_api.posts("Yes: it ships today")
    assert call["json"]["thread_ts"] == TS  # the thread's root, not the message's own ts


def test_bots_and_other_events_are_not_customers(gateway, slack_api):
    gw = start_slack_gateway(gateway, slack_api)
    for name in ("zulip/message_from_slack_bridge_bot.json", "python-slack-events-api/reaction_added.json",
                 "java-slack-sdk-schema/MessageDeletedPayload.json", "java-slack-sdk-schema/MessageBotPayload.json"):
        r = post_slack(gw, corpus(name))
        assert r.status_code == 200, (name, r.text)
        assert r.json()["stored"] == 0, name
    assert gw.conversations() == []


def test_forged_stale_and_unsigned_requests_are_refused(gateway, slack_api):
    gw = start_slack_gateway(gateway, slack_api)
    body = corpus(NORMAL)
    cases = {
        "wrong secret": post_slack(gw, body, signature=slack_signature(body, NOW, secret="not-the-secret")),
        "tampered body": post_slack(gw, body.replace(b"normal", b"forged"), signature=slack_signature(body, NOW)),
        "stale": post_slack(gw, body, ts=NOW - 301),
        "from the future": post_slack(gw, body, ts=NOW + 301),
        "unsigned": gw.post_hook("slack", raw=body, secret=None, headers={"Content-Type": "application/json"}),
    }
    for case, r in cases.items():
        assert r.status_code == 401, (case, r.status_code, r.text)
        assert r.json()["error"]["code"] == "bad_signature", case
    assert "stale" in cases["stale"].json()["error"]["message"]
    # Inside the window is fine.
    assert post_slack(gw, body, ts=NOW - 299).status_code == 200


def test_killing_the_adapter_loses_nothing(gateway, slack_api):
    # Replies are retried for longer than the adapter is down; a silent process times out in 2 s.
    gw = start_slack_gateway(gateway, slack_api, delivery={"max_attempts": 60, "max_backoff": "300ms"},
                             deliver_timeout="2s", request_timeout="2s")
    assert post_slack(gw, message_event("first", ts="1719209506.000001")).json()["stored"] == 1
    conv = conversation_with(gw, f"{CHANNEL}:1719209506.000001")
    [pid] = child_pids(gw, "slack.py")

    # Hung: it reads nothing and answers nothing. Slack's requests time out (503) and are retried
    # by "Slack"; a reply queued now waits in the outbox.
    os.kill(pid, signal.SIGSTOP)
    results: dict[str, requests.Response] = {}
    posters = []
    for i in range(3):
        body = message_event(f"while down {i}", ts=f"1719209507.00000{i}")
        t = threading.Thread(target=lambda b=body, k=i: results.__setitem__(k, post_until_accepted(gw, b)))
        t.start()
        posters.append(t)
    queued = reply(gw, conv, "reply queued while the adapter hangs")
    time.sleep(2.5)
    assert slack_api.posts("reply queued while the adapter hangs") == []

    # Killed: the gateway restarts it (the hung one's lines are gone with it).
    os.kill(pid, signal.SIGKILL)
    wait_until(lambda: [p for p in child_pids(gw, "slack.py") if p != pid], 20, what="a new adapter process")
    wait_until(lambda: adapter_state(gw) == "running", 20, what="the restarted adapter")
    for t in posters:
        t.join(40)
    assert all(results[i].status_code == 200 for i in range(3))

    gw.wait_delivery(conv["id"], queued["id"], "delivered", timeout=30)
    assert len(slack_api.posts("reply queued while the adapter hangs")) == 1
    detail = gw.get_json("marta", f"conversations/{conv['id']}")
    bodies = [m["body"] for m in detail["messages"] if m["direction"] == "inbound"]
    assert sorted(bodies) == sorted(["first", "while down 0", "while down 1", "while down 2"])  # each once

    # And the new process works as before.
    sent = reply(gw, conv, "after the restart")
    gw.wait_delivery(conv["id"], sent["id"], "delivered", timeout=20)

    # The restart is visible to monitoring.
    metrics = gw.session.get(gw.url + "/metrics", timeout=5).text
    restarts = [line for line in metrics.splitlines() if line.startswith('switchboard_adapter_restarts_total{adapter="slack"}')]
    assert restarts and float(restarts[0].split()[-1]) >= 1, restarts
    assert 'switchboard_adapter_running{adapter="slack"} 1' in metrics


PUSHER = r'''
import os, sys, time
sys.path.insert(0, sys.argv[1])
from switchboard_adapter import Adapter

class Pusher(Adapter):
    """Pushes COUNT messages from a source that forgets what it handed out (a queue that deletes on
    read): only the SDK's buffer can bring back what the gateway did not acknowledge."""

    def on_start(self, config):
        self.log("info", "backlog %d" % len(self.unacked()))
        marker = config["marker"]
        if not os.path.exists(marker):
            for i in range(int(config["count"])):
                self.send_inbound("p%03d" % i, "pusher-customer", "pushed %d" % i, sent_at=time.time())
            open(marker, "w").close()

    def on_ack(self, external_id):
        # Committing to a slow source: acks pile up unread, as in a crash before they are handled.
        time.sleep(float(self.config.get("ack_delay", "0")))

Pusher(buffer_path=os.environ["PUSHER_BUFFER"]).run()
'''


def test_pushed_messages_survive_a_kill_and_are_stored_once(gateway, tmp_path):
    script = tmp_path / "pusher.py"
    script.write_text(PUSHER)
    buffer = tmp_path / "pusher.buffer"
    count = 30
    gw = gateway({"adapters": [{
        "id": "pusher", "type": "external", "team": "support", "open": True,
        "command": [sys.executable, str(script), str(SDK_DIR)],
        "env": {"PUSHER_BUFFER": str(buffer)},
        "config": {"marker": str(tmp_path / "source-drained"), "count": str(count), "ack_delay": "0.3"},
    }]})

    def stored_ids():
        convs = gw.conversations()
        if not convs:
            return []
        detail = gw.get_json("marta", f"conversations/{convs[0]['id']}")
        return [m["external_id"] for m in detail["messages"] if m["direction"] == "inbound"]

    wait_until(lambda: len(stored_ids()) == count, 20, what="all pushed messages stored")
    [pid] = child_pids(gw, "pusher.py")
    os.kill(pid, signal.SIGKILL)  # most acks are still unread in its stdin

    wait_until(lambda: "backlog " in gw.stderr() and any(
        int(line.split("backlog ")[1].split()[0]) > 0 for line in gw.stderr().splitlines() if "backlog " in line),
        20, what="the restarted process to re-send its unacknowledged backlog")

    def buffer_drained():
        pending = {}
        for line in buffer.read_bytes().splitlines():
            entry = json.loads(line)
            if "add" in entry:
                pending[entry["add"]["id"]] = True
            elif "ack" in entry:
                pending.pop(entry["ack"], None)
        return not pending
    wait_until(buffer_drained, 30, what="every re-sent message to be acknowledged")
    ids = stored_ids()
    assert sorted(ids) == ["p%03d" % i for i in range(count)]  # each exactly once
    assert len(gw.conversations()) == 1
    # Messages an adapter pushes count in the same metric as those posted to a hook.
    metrics = gw.session.get(gw.url + "/metrics", timeout=5).text
    assert any(line.startswith('switchboard_inbound_messages_total{') and 'adapter="pusher"' in line and 'result="stored"' in line
               for line in metrics.splitlines()), metrics


def test_every_line_follows_the_schema(tmp_path):
    """Drives adapters/slack.py directly over its pipes, as the gateway does, and validates both
    directions against docs/adapter-protocol.schema.json."""
    validator = jsonschema.Draft202012Validator(SCHEMA)
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    api = SlackAPI()
    try:
        def request(rid, body, signature=None):
            return {"type": "request", "id": rid, "method": "POST", "path": "/hooks/slack", "query": {},
                    "raw_query": None, "headers": {"x-slack-request-timestamp": str(NOW),
                                                   "x-slack-signature": signature or slack_signature(body, NOW)},
                    "body_base64": base64.b64encode(body).decode()}
        to_adapter = [
            {"type": "start", "adapter": "slack", "config": {"api_base": api.base}, "protocol": 1},
            request(1, corpus(NORMAL)),
            request(2, corpus("python-slack-events-api/url_challenge.json")),
            request(3, corpus(NORMAL), signature="v0=bad"),
            {"type": "deliver", "id": 7, "conversation": 1, "to": USER, "text": "hi", "in_reply_to": f"{CHANNEL}:{TS}",
             "thread": f"{CHANNEL}:{TS}", "attempt": 0},
            {"type": "ack", "id": f"{CHANNEL}:{TS}"},
        ]
        for message in to_adapter:
            validator.validate(message)
        env = {"PATH": os.environ.get("PATH", ""), "SLACK_SIGNING_SECRET": SECRET, "SLACK_BOT_TOKEN": BOT_TOKEN,
               "SLACK_FAKE_NOW": str(NOW)}
        proc = subprocess.run([sys.executable, str(SLACK_ADAPTER)], env=env, timeout=30, capture_output=True,
                              input=b"".join(json.dumps(m).encode() + b"\n" for m in to_adapter))
        assert proc.returncode == 0, proc.stderr.decode()
        answers = [json.loads(line) for line in proc.stdout.splitlines()]
        for answer in answers:
            validator.validate(answer)
        by_type = {}
        for answer in answers:
            by_type.setdefault(answer["type"], []).append(answer)
        assert by_type["hello"][0]["capabilities"]["max_text"] == 40000
        responses = {r["id"]: r for r in by_type["response"]}
        assert responses[1]["inbound"][0]["id"] == f"{CHANNEL}:{TS}"
        assert responses[2]["body"] == {"challenge": "valid_challenge_token"}
        assert responses[3]["status"] == 401
        assert by_type["delivered"] == [{"type": "delivered", "id": 7, "external_id": f"{CHANNEL}:1719300000.000001"}]
    finally:
        api.close()
