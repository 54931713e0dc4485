"""A small local PBX for the phone-log tests: answers originate requests and appends call records to the
log file given as its argument. Prints its port when ready."""
import http.server, json, os, signal, sys, threading

# Gone with the test run: stdin closes when the test process dies, however it dies.
signal.signal(signal.SIGTERM, signal.SIG_DFL)
threading.Thread(target=lambda: (sys.stdin.read(), os._exit(0)), daemon=True).start()

log = sys.argv[1]
count = 0

class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        global count
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            parsed = json.loads(body or b"null")
        except ValueError:
            parsed = body.decode("utf-8", "replace")
        with open(log, "a") as f:
            f.write(json.dumps({"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}, "body": parsed}) + "\n")
        if self.path.startswith("/status/"):
            status, answer = int(self.path.split("/")[2]), b"{}"
        else:
            count += 1
            status, answer = 200, json.dumps({"id": "pbx-call-%d" % count}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
