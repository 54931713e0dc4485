"""A fake platform API (Telegram, Twilio, X) for the Swift adapter tests: answers the scripted responses in
order and records every request (GET /__requests). Prints {"port": N} when ready; exits when stdin closes."""
import http.server, json, os, sys, threading

responses = json.loads(sys.argv[1])
recorded = []
lock = threading.Lock()

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, headers, body):
        data = body.encode()
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if self.path == "/__requests":
            with lock:
                data = json.dumps(recorded)
            self.answer(200, {"Content-Type": "application/json"}, data)
            return
        with lock:
            recorded.append({"method": self.command, "path": self.path,
                             "headers": {k.lower(): v for k, v in self.headers.items()},
                             "body": body.decode("utf-8", "replace")})
            r = responses[min(len(recorded), len(responses)) - 1]
        self.answer(r["status"], r["headers"], r["body"])

    do_GET = do_POST = do_PUT = do_DELETE = handle_any

class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

threading.Thread(target=lambda: (sys.stdin.read(), os._exit(0)), daemon=True).start()
server = Server(("127.0.0.1", 0), Handler)
print(json.dumps({"port": server.server_address[1]}), flush=True)
server.serve_forever()
