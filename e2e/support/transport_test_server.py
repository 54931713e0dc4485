"""The local HTTP server the libcurl transport tests talk to (echo, slow, redirect and error routes).
Prints its port when ready."""
import http.server, json, os, sys, threading, time, urllib.parse

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so connection reuse is observable

    def log_message(self, *args):
        pass

    def reply(self, status, body, content_type="text/plain"):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def handle_any(self):
        url = urllib.parse.urlparse(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if url.path == "/echo":
            payload = {
                "method": self.command,
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "body": body.decode("utf-8", "replace"),
                "clientPort": self.client_address[1],
            }
            self.reply(200, json.dumps(payload).encode(), "application/json")
        elif url.path.startswith("/status/"):
            self.reply(int(url.path.split("/")[2]), b"status body")
        elif url.path == "/slow":
            ms = int(urllib.parse.parse_qs(url.query).get("ms", ["0"])[0])
            time.sleep(ms / 1000)
            self.reply(200, b"slow done")
        elif url.path == "/early-hints":
            self.wfile.write(b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>\r\nX-Interim: yes\r\n\r\n")
            self.send_response(200)
            self.send_header("X-Final", "yes")
            self.send_header("Content-Length", "5")
            self.end_headers()
            self.wfile.write(b"final")
        else:
            self.reply(404, b"not found")

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = handle_any

class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # the default 5 would drop SYNs under 50 parallel connects

# Exit when the test process goes away (stdin closes), even if it never got to kill us.
threading.Thread(target=lambda: (sys.stdin.read(), os._exit(0)), daemon=True).start()
server = Server(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
