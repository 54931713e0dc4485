"""One loopback HTTP server playing the media APIs of the platforms at once (WhatsApp's Graph media
lookup and download, Telegram's getFile and file endpoint, Twilio's MediaUrl with its redirect), for
the inbound-media tests. Each route answers GET with JSON, bytes or a redirect; a route can be told to
fail a number of times first (503), or to require an exact Authorization header (401 otherwise).
Every request is recorded."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class MediaPlatform:
    def __init__(self):
        self.lock = threading.Lock()
        self.routes: dict[str, dict] = {}
        self.requests: list[dict] = []
        platform = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                with platform.lock:
                    platform.requests.append({"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}})
                    route = platform.routes.get(self.path) or platform.routes.get(self.path.split("?")[0])
                    failing = route is not None and route.get("fail", 0) > 0
                    if failing:
                        route["fail"] -= 1
                if route is None:
                    return self.send(404, b'{"error":"no such media"}', "application/json")
                if failing:
                    return self.send(503, b"try later", "text/plain")
                if route.get("auth") and self.headers.get("Authorization") != route["auth"]:
                    return self.send(401, b"unauthorized", "text/plain")
                if "redirect" in route:
                    self.send_response(307)
                    self.send_header("Location", route["redirect"])
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if "json" in route:
                    return self.send(200, json.dumps(route["json"]).encode(), "application/json")
                return self.send(200, route["bytes"], route.get("type", "application/octet-stream"))

            def send(self, status: int, body: bytes, content_type: str):
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def route(self, path: str, **answer):
        """`json=…`, `bytes=…` (with `type=`), or `redirect=URL`; `auth=` the exact Authorization
        header required; `fail=N` 503s first."""
        with self.lock:
            self.routes[path] = answer

    def heal(self, path: str):
        with self.lock:
            self.routes[path]["fail"] = 0

    def hits(self, path: str) -> list[dict]:
        with self.lock:
            return [r for r in self.requests if r["path"] == path]

    def close(self):
        self.server.shutdown()
        self.server.server_close()
