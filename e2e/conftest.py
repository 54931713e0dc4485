"""End-to-end fixtures: the real `switchboard` binary on loopback, its own config and SQLite file per
test, and a real local HTTP server playing the outbound receiver of replies.

Binary: $SWITCHBOARD_BIN, default <repo>/.build/debug/switchboard.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import os
import queue
import signal
import subprocess
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import yaml

REPO = Path(__file__).resolve().parents[1]
BIN = os.environ.get("SWITCHBOARD_BIN") or str(REPO / ".build" / "debug" / "switchboard")
ADAPTER = "shop-chat"
AGENTS = ("ana", "luis", "marta")
READY_TIMEOUT = 60.0

# Real mail servers for the e-mail tests: fixtures smtp_sink(_factory), dovecot(_factory).
pytest_plugins = ["mailservers"]


@pytest.fixture(autouse=True)
def _require_binary():
    if not os.access(BIN, os.X_OK):
        pytest.fail(f"switchboard binary not found at {BIN}: build it (swift build --product switchboard) "
                    "or set SWITCHBOARD_BIN", pytrace=False)


# ---------------------------------------------------------------------------------------------
# helpers


def wait_until(predicate, timeout=10.0, interval=0.05, what="condition"):
    """Polls `predicate` until it returns something truthy (returned) or the deadline passes."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        last = predicate()
        if last:
            return last
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}; last value: {last!r}")
        time.sleep(interval)


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def message(ext_id: str, customer: str, text: str = "hello", name: str | None = None, ts=None) -> dict:
    m = {"id": ext_id, "from": customer, "text": text}
    if name is not None:
        m["name"] = name
    if ts is not None:
        m["ts"] = ts
    return m


def deep_merge(base: dict, overrides: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in (overrides or {}).items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def metric(text: str, name: str, **labels) -> float:
    """The value of one Prometheus sample in `text` (0 when absent): `name{labels…}`, labels in any order."""
    for line in text.splitlines():
        if not line.startswith(name + "{") and line.split(" ")[0] != name:
            continue
        series, _, value = line.rpartition(" ")
        found = dict(part.split("=", 1) for part in series[len(name) + 1:-1].split(",") if "=" in part) if "{" in series else {}
        if all(found.get(k) == f'"{v}"' for k, v in labels.items()):
            return float(value)
    return 0.0


# ---------------------------------------------------------------------------------------------
# the outbound receiver


class PlatformServer:
    """A loopback HTTP server playing a third party's JSON API: records every request in `requests`
    (method, path, headers by lower-case name, body, and its JSON or None) and answers it with
    `answer(record, n)` → (status, JSON payload), `n` counting requests from 1. `base` is its address."""

    def __init__(self, answer):
        self.lock = threading.Lock()
        self.requests: list[dict] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def handle_any(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    doc = json.loads(body) if body else None
                except ValueError:
                    doc = None
                record = {"method": self.command, "path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()},
                          "body": body, "json": doc}
                with fake.lock:
                    fake.requests.append(record)
                    n = len(fake.requests)
                status, payload = answer(record, n)
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = handle_any

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class JSONAnswerServer(PlatformServer):
    """Answers every request with `answer(query)` as JSON (the query's first value per name): what a
    context provider the gateway calls looks like."""

    def __init__(self, answer):
        super().__init__(lambda record, n: (200, answer(
            {name: values[0] for name, values in parse_qs(urlsplit(record["path"]).query).items()})))


class Receiver:
    """A real HTTP server recording every request. Tell it to fail N times, always, or be slow."""

    def __init__(self):
        self.lock = threading.Lock()
        self.requests: list[dict] = []  # {path, headers, body, json, status}
        self._fail_next = 0
        self._always_status: int | None = None
        self._delay = 0.0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                status = receiver._decide()
                if receiver._delay:
                    time.sleep(receiver._delay)
                try:
                    parsed = json.loads(body)
                except ValueError:
                    parsed = None
                record = {
                    "path": self.path,
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "body": body,
                    "json": parsed,
                    "status": status,
                }
                answer = json.dumps({"id": f"rcv-{uuid.uuid4().hex[:8]}"} if status < 300 else {"oops": status}).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                    self.wfile.flush()
                    record["answered"] = True
                except OSError:
                    record["answered"] = False  # the client went away before the answer
                with receiver.lock:
                    receiver.requests.append(record)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/send"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def _decide(self) -> int:
        with self.lock:
            if self._always_status is not None:
                return self._always_status
            if self._fail_next > 0:
                self._fail_next -= 1
                return 500
            return 200

    def fail_next(self, n: int):
        with self.lock:
            self._fail_next = n

    def always(self, status: int = 500):
        with self.lock:
            self._always_status = status

    def slow(self, seconds: float):
        self._delay = seconds

    def heal(self):
        with self.lock:
            self._always_status = None
            self._fail_next = 0
        self._delay = 0.0

    def received(self) -> list[dict]:
        with self.lock:
            return list(self.requests)

    def for_key(self, key: str) -> list[dict]:
        return [r for r in self.received() if r["headers"].get("idempotency-key") == key]

    def successes(self, key: str | None = None) -> list[dict]:
        rs = self.received() if key is None else self.for_key(key)
        return [r for r in rs if 200 <= r["status"] < 300]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


# ---------------------------------------------------------------------------------------------
# the gateway


class Gateway:
    def __init__(self, workdir: Path, config: dict, env: dict, tokens: dict, secret: str | None):
        self.workdir = workdir
        self.config = config
        self.env = env
        self.tokens = tokens
        self.secret = secret
        self.config_path = workdir / "switchboard.yaml"
        self.config_path.write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True))
        self.db_path = Path(config["storage"]["sqlite"])
        self.proc: subprocess.Popen | None = None
        self.url = ""
        self.session = requests.Session()
        self.starts = 0

    # process control -------------------------------------------------------------------------

    def start(self):
        self.starts += 1
        self.stderr_path = self.workdir / f"gateway-{self.starts}.stderr"
        self._stderr = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen(
            [BIN, "serve", "--config", str(self.config_path), "--port", "0"],
            cwd=self.workdir, env=self.env, stdout=subprocess.PIPE, stderr=self._stderr,
            start_new_session=True)
        lines: queue.Queue = queue.Queue()

        def pump(stream):
            for line in iter(stream.readline, b""):
                lines.put(line.decode(errors="replace").rstrip("\n"))
            lines.put(None)

        threading.Thread(target=pump, args=(self.proc.stdout,), daemon=True).start()
        deadline = time.monotonic() + READY_TIMEOUT
        prefix = "switchboard listening on "
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.kill()
                raise AssertionError(f"gateway not ready after {READY_TIMEOUT}s; stderr:\n{self.stderr()}")
            try:
                line = lines.get(timeout=min(remaining, 0.5))
            except queue.Empty:
                continue
            if line is None:
                self.proc.wait(timeout=5)
                raise AssertionError(f"gateway exited ({self.proc.returncode}) before ready; stderr:\n{self.stderr()}")
            if line.startswith(prefix):
                self.url = line[len(prefix):].strip()
                return self
            raise AssertionError(f"unexpected stdout line before ready: {line!r}")

    def kill(self):
        """SIGKILL, as a crash."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)
        self._close_stderr()

    def stop(self):
        """SIGTERM, then SIGKILL after 10 s. Returns the exit code."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.send_signal(signal.SIGKILL)
                self.proc.wait(timeout=10)
        self._close_stderr()
        return self.proc.returncode if self.proc else None

    def restart(self):
        self.stop()
        return self.start()

    def _close_stderr(self):
        if getattr(self, "_stderr", None) and not self._stderr.closed:
            self._stderr.close()

    def stderr(self) -> str:
        try:
            return self.stderr_path.read_text(errors="replace")[-6000:]
        except OSError:
            return ""

    # requests --------------------------------------------------------------------------------

    def post_hook(self, adapter=ADAPTER, payload=None, secret="default", raw: bytes | None = None,
                  headers: dict | None = None, timeout=10):
        body = raw if raw is not None else json.dumps(payload).encode()
        h = {"Content-Type": "application/json"}
        key = self.secret if secret == "default" else secret
        if key is not None:
            h["X-Switchboard-Signature"] = sign(key, body)
        h.update(headers or {})
        return self.session.post(f"{self.url}/hooks/{adapter}", data=body, headers=h, timeout=timeout)

    def api(self, agent, method, path, json=None, token=None, **kw):
        url = self.url + (path if path.startswith("/") else "/api/v1/" + path)
        headers = kw.pop("headers", {})
        tok = token if token is not None else (self.tokens[agent] if agent else None)
        if tok is not None:
            headers["Authorization"] = f"Bearer {tok}"
        kw.setdefault("timeout", 10)
        return self.session.request(method, url, json=json, headers=headers, **kw)

    def get_json(self, agent, path):
        r = self.api(agent, "GET", path)
        assert r.status_code == 200, f"GET {path} as {agent}: {r.status_code} {r.text}"
        return r.json()

    # conveniences ----------------------------------------------------------------------------

    def ingest(self, ext_id, customer, text="hello", name=None):
        """Posts one signed message and returns the stored (or duplicate) message id."""
        r = self.post_hook(ADAPTER, message(ext_id, customer, text, name))
        assert r.status_code == 200, f"hook answered {r.status_code}: {r.text}"
        return r.json()["messages"][0]

    def metrics(self) -> str:
        r = self.session.get(self.url + "/metrics", timeout=10)
        assert r.status_code == 200, r.text
        return r.text

    def conversations(self, agent="marta", status="all"):
        return self.get_json(agent, f"conversations?status={status}&limit=1000")["conversations"]

    def conversation_of(self, message_id, agent="marta"):
        """The conversation (summary) holding a given inbound message id."""
        for c in self.conversations(agent):
            detail = self.get_json(agent, f"conversations/{c['id']}")
            if any(m["id"] == message_id for m in detail["messages"]):
                return detail
        raise AssertionError(f"message {message_id} is in no conversation")

    def find_message(self, conversation_id, message_id, agent="marta"):
        detail = self.get_json(agent, f"conversations/{conversation_id}")
        for m in detail["messages"]:
            if m["id"] == message_id:
                return m
        return None

    def wait_delivery(self, conversation_id, message_id, state, timeout=15, agent="marta"):
        def check():
            m = self.find_message(conversation_id, message_id, agent)
            return m if m and m.get("delivery", {}).get("state") == state else None
        return wait_until(check, timeout, what=f"message {message_id} delivery state {state}")


def base_config(workdir: Path, receiver_url: str) -> dict:
    return {
        "server": {"host": "127.0.0.1", "port": 0, "max_body": "64k"},
        "storage": {"sqlite": str(workdir / "switchboard.sqlite")},
        "routing": {"first_response": "24h", "acknowledge": False},
        "delivery": {"first_retry": "100ms", "max_backoff": "400ms", "max_attempts": 4, "concurrency": 8},
        "logging": {"level": "info"},
        "agents": [
            {"id": "ana", "name": "Ana García", "role": "agent", "teams": ["support"], "capacity": 25,
             "token_env": "SB_TOKEN_ANA"},
            {"id": "luis", "name": "Luis Pérez", "role": "agent", "teams": ["support"], "capacity": 25,
             "token_env": "SB_TOKEN_LUIS"},
            {"id": "marta", "name": "Marta Ruiz", "role": "supervisor", "teams": ["support"],
             "token_env": "SB_TOKEN_MARTA"},
        ],
        "adapters": [
            {"id": ADAPTER, "type": "webhook", "team": "support", "secret_env": "SHOP_CHAT_SECRET",
             "inbound": {"message_id": "/id", "customer": "/from", "customer_name": "/name", "text": "/text",
                         "sent_at": "/ts"},
             "outbound": {"url": receiver_url, "timeout": "5s"}},
        ],
    }


@pytest.fixture
def gateway(tmp_path, receiver):
    """Factory: `gw = gateway({...overrides})` starts a gateway and returns it (stopped at teardown)."""
    started: list[Gateway] = []

    def make(config_overrides: dict | None = None, env: dict | None = None) -> Gateway:
        """`env` adds environment variables (the secrets an adapter's `*_env` keys name)."""
        extra_env = env or {}
        workdir = tmp_path / f"gw{len(started)}"
        workdir.mkdir()
        config = deep_merge(base_config(workdir, receiver.url), config_overrides or {})
        tokens = {a: f"tok-{a}-{uuid.uuid4().hex}" for a in AGENTS}
        secret = "whsec-" + uuid.uuid4().hex
        env = {k: v for k, v in os.environ.items() if not k.startswith("SB_TOKEN_")}
        env.update({f"SB_TOKEN_{a.upper()}": t for a, t in tokens.items()})
        env["SHOP_CHAT_SECRET"] = secret
        env.update(extra_env)
        gw = Gateway(workdir, config, env, tokens, secret)
        started.append(gw)
        return gw.start()

    yield make
    for gw in started:
        gw.stop()
        gw.session.close()
