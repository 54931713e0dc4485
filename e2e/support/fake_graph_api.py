"""A fake Meta Graph API for the Swift adapter tests: answers each route with its scripted responses and
records every request (GET /__requests). Prints one JSON line ({"port": N}) when ready; exits when stdin closes."""
import http.server, json, os, sys, threading

routes = json.loads(sys.argv[1])
log, lock, counter = [], threading.Lock(), [0]

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, body, headers):
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/_requests":
            with lock:
                body = json.dumps(log).encode()
            self.answer(200, body, {"Content-Type": "application/json"})
        else:
            self.answer(404, b"", {})

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        with lock:
            counter[0] += 1
            n = counter[0]
            log.append({"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()},
                        "body": body.decode("utf-8", "replace")})
        route = routes.get(self.path.split("?")[0])
        if route is None:
            self.answer(404, b'{"error":{"message":"Unknown path components","type":"OAuthException","code":2500}}',
                        {"Content-Type": "application/json"})
            return
        headers = {"Content-Type": "application/json"}
        headers.update(route.get("headers", {}))
        self.answer(route["status"], route["body"].replace("{n}", str(n)).encode(), headers)

class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

# Exit when the test process goes away (stdin closes), even if it never got to kill us.
threading.Thread(target=lambda: (sys.stdin.read(), os._exit(0)), daemon=True).start()
server = Server(("127.0.0.1", 0), Handler)
print(json.dumps({"port": server.server_address[1]}), flush=True)
server.serve_forever()
