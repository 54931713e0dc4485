#!/usr/bin/env python3
"""The soak's other side (scripts/soak.sh): agents working the console's API while ingest runs, and a
slow channel endpoint their replies are delivered to.

    scripts/soak-agents.py GATEWAY_URL STATE_FILE [--agents ana,luis] [--think 0.2] [--delay 1.0]

- The endpoint: a loopback HTTP server answering every POST `{"id": …}` after DELAY seconds (a slow
  platform); its URL is printed first, as one JSON line `{"endpoint": URL}`, so the caller can put it
  in the gateway's configuration before starting it — the agents then wait until GATEWAY_URL answers.
- Each agent (tokens from SB_TOKEN_<AGENT>) loops: its inbox (`GET /api/v1/inbox`, the console's), one
  conversation of it (`GET /api/v1/conversations/{id}`, the newest page), a reply to it (`POST
  …/replies`), then THINK seconds.
- STATE_FILE is rewritten every second with the running totals (JSON: replies sent, replies delivered
  to the endpoint, reads, errors) and the p99 of the agents' reads over the last minute, for soak.sh.
Ends on SIGTERM.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

lock = threading.Lock()
totals = {"replies_sent": 0, "replies_delivered": 0, "reads": 0, "errors": 0}
read_latencies: list[tuple[float, float]] = []  # (when, milliseconds)
stop = threading.Event()


def slow_endpoint(delay: float) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            time.sleep(delay)
            with lock:
                totals["replies_delivered"] += 1
                n = totals["replies_delivered"]
            body = json.dumps({"id": f"soak-{n}"}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def agent(base: str, name: str, think: float):
    parts = urllib.parse.urlsplit(base)
    token = os.environ[f"SB_TOKEN_{name.upper()}"]
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)

    def call(method: str, path: str, body: dict | None = None, read: bool = True):
        nonlocal connection
        start = time.monotonic()
        try:
            connection.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
            response = connection.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException):
            connection.close()
            connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
            with lock:
                totals["errors"] += 1
            return None
        elapsed = (time.monotonic() - start) * 1000
        with lock:
            if response.status >= 300:
                totals["errors"] += 1
            elif read:
                totals["reads"] += 1
                read_latencies.append((time.monotonic(), elapsed))
        return json.loads(data) if response.status < 300 and data else None

    turn = 0
    while not stop.is_set():
        turn += 1
        inbox = call("GET", "/api/v1/inbox?limit=25") or {}
        items = [entry["conversation"] for entry in inbox.get("conversations", [])]
        if items:
            conversation = items[turn % len(items)]
            detail = call("GET", f"/api/v1/conversations/{conversation['id']}?limit=50")
            if detail is not None:
                sent = call("POST", f"/api/v1/conversations/{conversation['id']}/replies",
                            {"body": f"Soak reply {turn} from {name}"}, read=False)
                if sent is not None:
                    with lock:
                        totals["replies_sent"] += 1
        stop.wait(think)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("gateway")
    parser.add_argument("state")
    parser.add_argument("--agents", default="ana,luis")
    parser.add_argument("--think", type=float, default=0.2)
    parser.add_argument("--delay", type=float, default=1.0)
    args = parser.parse_args()

    endpoint = slow_endpoint(args.delay)
    print(json.dumps({"endpoint": f"http://127.0.0.1:{endpoint.server_address[1]}/send"}), flush=True)
    signal.signal(signal.SIGTERM, lambda *_: stop.set())

    parts = urllib.parse.urlsplit(args.gateway)
    while not stop.is_set():  # the gateway starts after the endpoint exists
        try:
            http.client.HTTPConnection(parts.hostname, parts.port, timeout=2).request("GET", "/healthz")
            break
        except OSError:
            stop.wait(0.2)
    for name in args.agents.split(","):
        threading.Thread(target=agent, args=(args.gateway, name, args.think), daemon=True).start()

    while not stop.wait(1.0):
        with lock:
            cutoff = time.monotonic() - 60
            while read_latencies and read_latencies[0][0] < cutoff:
                read_latencies.pop(0)
            latencies = sorted(ms for _, ms in read_latencies)
            state = dict(totals)
        state["read_p99_ms"] = latencies[int(len(latencies) * 0.99)] if latencies else None
        with open(args.state + ".tmp", "w") as f:
            json.dump(state, f)
        os.replace(args.state + ".tmp", args.state)
    return 0


if __name__ == "__main__":
    sys.exit(main())
