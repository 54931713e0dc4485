"""Context providers (`context_providers:`, type `http`): the business's own data about the customer,
fetched from a real local HTTP server, shown under `customer.context.<id>` with its status; cached;
a hanging or failing provider is reported in the view and never slows ingestion; config errors."""

import json
import re
import subprocess
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from conftest import ADAPTER, BIN, message, unique, wait_until


class ShopServer:
    """The business's customer service: answers GET /customer?… with JSON, 500, or hangs."""

    def __init__(self):
        self.lock = threading.Lock()
        self.requests: list[dict] = []
        self.mode = "ok"  # ok | hang | fail
        self.release = threading.Event()
        shop = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                split = urlsplit(self.path)
                query = parse_qs(split.query, keep_blank_values=True)
                with shop.lock:
                    shop.requests.append({"path": split.path, "raw_query": split.query, "query": query,
                                          "headers": {k.lower(): v for k, v in self.headers.items()}})
                    mode = shop.mode
                if mode == "hang":
                    shop.release.wait(30)
                    return
                if mode == "fail":
                    status, body = 500, b'{"error": "database down"}'
                else:
                    email = (query.get("email") or [""])[0]
                    status, body = 200, json.dumps({
                        "email": email, "phone": (query.get("phone") or [""])[0],
                        "orders": [{"id": "A-1001", "state": "shipped", "tracking": "1Z999"}],
                        "payment": "paid"}).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def set(self, mode: str):
        with self.lock:
            self.mode = mode

    def received(self, email: str | None = None) -> list[dict]:
        with self.lock:
            rs = list(self.requests)
        return rs if email is None else [r for r in rs if r["query"].get("email") == [email]]

    def close(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def shop():
    s = ShopServer()
    yield s
    s.close()


def shop_chat(url: str) -> dict:
    return {"id": ADAPTER, "type": "webhook", "team": "support", "secret_env": "SHOP_CHAT_SECRET", "identity": "email",
            "inbound": {"message_id": "/id", "customer": "/from", "customer_name": "/name", "text": "/text", "sent_at": "/ts"},
            "outbound": {"url": url, "timeout": "5s"}}


def with_shop(gateway, receiver, shop, timeout="1s", cache="5m", token=None):
    token = token or "shop-" + uuid.uuid4().hex
    gw = gateway({
        "adapters": [shop_chat(receiver.url)],
        "context_providers": [{
            "id": "shop", "type": "http", "token_env": "SHOP_TOKEN", "timeout": timeout, "cache": cache,
            "url": shop.base + "/customer?email={email}&phone={phone}&customer={customer_id}"}],
    }, env={"SHOP_TOKEN": token})
    return gw, token


def view(gw, conversation_id, agent="marta"):
    r = gw.api(agent, "GET", f"conversations/{conversation_id}", timeout=30)
    assert r.status_code == 200, r.text
    return r.json()


def test_provider_data_shows_with_the_conversation(gateway, receiver, shop):
    gw, token = with_shop(gateway, receiver, shop, cache="1s")
    first = gw.ingest(unique("m"), "Nuria+Shop@Example.com", "where is my order?", name="Nuria Vals")
    conv = gw.conversation_of(first)
    customer = conv["customer"]
    assert customer["context_status"]["shop"]["state"] == "ok", customer["context_status"]
    assert customer["context_status"]["shop"].get("fetched_at")
    data = customer["context"]["shop"]
    assert data["orders"] == [{"id": "A-1001", "state": "shipped", "tracking": "1Z999"}] and data["payment"] == "paid"
    assert data["email"] == "nuria+shop@example.com", "the placeholder is percent-encoded ('+' is not a space)"

    req = shop.received()[-1]
    assert req["path"] == "/customer"
    assert req["headers"].get("authorization") == f"Bearer {token}"
    assert req["query"]["email"] == ["nuria+shop@example.com"], req["raw_query"]
    assert req["query"]["phone"] == [""]
    assert req["query"]["customer"] == [str(customer["id"])]
    # The customer endpoint shows it too, to whoever may see the customer.
    owner = conv["owner"]
    assert gw.get_json(owner, f"customers/{customer['id']}")["context"]["shop"]["payment"] == "paid"

    # Once the agent links her phone, the next fetch (after the cache time) asks with it, E.164 and encoded.
    r = gw.api(owner, "POST", f"customers/{customer['id']}/identities", json={"channel": "phone", "address": "+34 600 123 456"})
    assert r.status_code == 201, r.text
    time.sleep(1.3)
    again = view(gw, conv["id"])["customer"]
    assert again["context"]["shop"]["phone"] == "+34600123456"
    assert shop.received()[-1]["query"]["phone"] == ["+34600123456"], shop.received()[-1]["raw_query"]


def test_a_customer_address_never_reshapes_the_provider_url(gateway, receiver, shop):
    """The attack: a customer writing from the address `..` made the lookup
    `/customers/{email}/profile` walk up a segment (`/customers/profile`, or further with more
    dots and slashes). Every placeholder is now one whole, encoded segment; a dot segment is refused."""
    gw = gateway({
        "adapters": [shop_chat(receiver.url)],
        "context_providers": [{"id": "shop", "type": "http", "url": shop.base + "/customers/{email}/profile?name={name}"}],
    })
    walk = gw.conversation_of(gw.ingest(unique("m"), "..", "hello from dot-dot"))
    status = walk["customer"]["context_status"]["shop"]
    assert status["state"] != "ok" and "cannot stand in a URL path" in json.dumps(status), status
    assert shop.received() == [], [r["path"] for r in shop.received()]

    sneaky = gw.conversation_of(gw.ingest(unique("m"), "a/../../admin@x.org", "hi", name="../x?y=1"))
    assert sneaky["customer"]["context_status"]["shop"]["state"] == "ok", sneaky["customer"]["context_status"]
    [req] = shop.received()
    assert req["path"] == "/customers/a%2F..%2F..%2Fadmin%40x.org/profile", req
    assert req["query"] == {"name": ["../x?y=1"]}, req["raw_query"]


def test_provider_answers_are_cached(gateway, receiver, shop):
    gw, _ = with_shop(gateway, receiver, shop, cache="5m")
    a = gw.conversation_of(gw.ingest(unique("m"), "olga@example.com", "hi"))
    assert a["customer"]["context_status"]["shop"]["state"] == "ok"
    for _ in range(3):
        assert view(gw, a["id"])["customer"]["context"]["shop"]["payment"] == "paid"
    gw.get_json("marta", f"customers/{a['customer']['id']}")
    gw.ingest(unique("m"), "olga@example.com", "hello again")
    view(gw, a["id"])
    assert len(shop.received("olga@example.com")) == 1, [r["raw_query"] for r in shop.received()]

    # Another customer is another lookup.
    b = gw.conversation_of(gw.ingest(unique("m"), "pablo@example.com", "hi"))
    assert b["customer"]["context"]["shop"]["email"] == "pablo@example.com"
    assert len(shop.received("pablo@example.com")) == 1
    assert len(shop.received()) == 2


def post_many(gw, n, prefix):
    start = time.monotonic()
    for i in range(n):
        r = gw.post_hook(payload=message(unique(prefix), f"{prefix}-{i}@example.com", "hello"), timeout=30)
        assert r.status_code == 200, r.text
    return time.monotonic() - start


def test_hanging_provider_times_out_in_the_view_and_never_slows_ingestion(gateway, receiver, shop):
    baseline = gateway({"adapters": [shop_chat(receiver.url)]})
    gw, _ = with_shop(gateway, receiver, shop, timeout="1s")
    shop.set("hang")

    plain = post_many(baseline, 50, "base")
    hanging = post_many(gw, 50, "slow")
    # Loose on purpose (a loaded 2-core machine): each fetch waits 1 s, so if ingestion waited for
    # them 50 posts would take 50 s or more.
    assert hanging < plain * 3 + 5, f"50 posts took {hanging:.1f}s with a hanging provider, {plain:.1f}s without"
    wait_until(lambda: len(shop.received()) >= 1, what="the provider to be asked at all")

    conv = gw.conversations()[0]
    start = time.monotonic()
    detail = view(gw, conv["id"])
    took = time.monotonic() - start
    assert took < 5, f"the view took {took:.1f}s with a 1s provider timeout"
    status = detail["customer"]["context_status"]["shop"]
    assert status["state"] == "timeout", status
    assert "shop" not in detail["customer"]["context"]
    assert [m for m in detail["messages"] if m["direction"] == "inbound"], "the conversation itself is all there"
    start = time.monotonic()
    r = gw.api("marta", "GET", f"customers/{detail['customer']['id']}", timeout=30)
    assert r.status_code == 200 and time.monotonic() - start < 5
    assert r.json()["context_status"]["shop"]["state"] == "timeout"

    # The shop comes back: the next view shows its data.
    shop.set("ok")
    healed = wait_until(lambda: view(gw, conv["id"])["customer"]["context_status"]["shop"]["state"] == "ok" and view(gw, conv["id"]),
                        timeout=15, interval=0.3, what="the provider to recover")
    assert healed["customer"]["context"]["shop"]["payment"] == "paid"


def test_failing_provider_shows_error_then_stale_data(gateway, receiver, shop):
    gw, _ = with_shop(gateway, receiver, shop, cache="1s")
    shop.set("fail")
    conv = gw.conversation_of(gw.ingest(unique("m"), "rosa@example.com", "hi", name="Rosa"))
    status = conv["customer"]["context_status"]["shop"]
    assert status["state"] == "error", status
    assert "500" in (status.get("message") or ""), status
    assert "shop" not in conv["customer"]["context"]
    assert conv["customer"]["name"] == "Rosa" and conv["messages"]

    shop.set("ok")
    ok = view(gw, conv["id"])["customer"]
    assert ok["context_status"]["shop"]["state"] == "ok", ok["context_status"]
    # It fails again after the cache time: the last answer is still shown, marked stale.
    shop.set("fail")
    time.sleep(1.3)
    stale = view(gw, conv["id"])["customer"]
    assert stale["context_status"]["shop"]["state"] == "stale", stale["context_status"]
    assert stale["context"]["shop"]["payment"] == "paid"


BROKEN = """\
server: {{ host: 127.0.0.1, port: 0 }}
storage: {{ sqlite: {db} }}
agents:
  - {{ id: ana, name: "Ana", role: agent, teams: [support], token_env: SB_E2E_CTX_TOKEN }}
adapters:
  - id: shop-chat
    type: webhook
    open: true
    inbound: {{ message_id: /id, customer: /from, text: /text }}
    outbound: {{ url: "http://127.0.0.1:9/send" }}
context_providers:
  - id: crm
    type: crm-magic
    url: "http://127.0.0.1:9/crm?email={{email}}"
  - id: shop
    type: http
    timeout: 1s
"""
# lines 12-14: unknown type (type on line 13); lines 15-17: missing url


def test_check_config_reports_unknown_provider_type_and_missing_url(tmp_path):
    path = tmp_path / "ctx.yaml"
    path.write_text(BROKEN.format(db=tmp_path / "x.sqlite"))
    env = {"SB_E2E_CTX_TOKEN": "token-ana-0123456789abcdef0123456789", "PATH": "/usr/bin:/bin"}
    result = subprocess.run([BIN, "check-config", "--config", str(path)], capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode == 1, result
    out = result.stdout + result.stderr
    problems = {}
    for line in out.splitlines():
        m = re.match(rf"^{re.escape(str(path))}:(\d+): (.+)$", line)
        assert m, f"not PATH:LINE: message: {line!r}"
        problems.setdefault(int(m.group(1)), []).append(m.group(2))
    type_lines = [n for n, msgs in problems.items() if any("crm-magic" in t for t in msgs)]
    url_lines = [n for n, msgs in problems.items() if any("url" in t and "missing" in t for t in msgs)]
    assert type_lines and all(12 <= n <= 14 for n in type_lines), out
    assert url_lines and all(15 <= n <= 17 for n in url_lines), out
    # Nothing else is wrong: the http entry's other keys are known, the rest of the file is fine.
    assert all(12 <= n <= 17 for n in problems), out
    assert not any("unknown context provider type 'http'" in t for msgs in problems.values() for t in msgs), out
    assert not any("timeout" in t for msgs in problems.values() for t in msgs), out

    # Fixed, the same file is fine.
    path.write_text(BROKEN.format(db=tmp_path / "x.sqlite").replace("crm-magic", "http")
                    .replace("    timeout: 1s\n", "    timeout: 1s\n    url: \"http://127.0.0.1:9/c?phone={phone}\"\n"))
    result = subprocess.run([BIN, "check-config", "--config", str(path)], capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
