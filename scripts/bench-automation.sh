#!/usr/bin/env bash
# Ingestion with automation on: the example configuration plus a rule on every customer message (a
# regular expression and a tag) and a webhook endpoint taking conversation.created and message.created
# (a local server answering 200), measured by scripts/bench.sh. Compare with scripts/bench.sh alone.
# Usage: scripts/bench-automation.sh [MESSAGES] [RATE]; SWITCHBOARD_BIN as for bench.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d /tmp/sb-bench-auto.XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 - "$port" <<'PY' &
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200); self.send_header("Content-Length", "0"); self.end_headers()
ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
endpoint=$!
trap 'kill $endpoint 2>/dev/null; rm -rf "$work"' EXIT
# The automation sections go before adapters: (bench.sh appends an adapter at the end of the file).
python3 - "$port" "$work/config.yaml" <<'PY'
import sys
port, out = sys.argv[1], sys.argv[2]
text = open("Config/switchboard.yaml").read()
auto = f"""rules:
  - id: invoices
    on: message.created
    if: {{ text_matches: "(?i)\\\\b(factura|invoice)\\\\b" }}
    then: [ {{ tag: [billing] }} ]
webhooks:
  - {{ id: sink, url: "http://127.0.0.1:{port}/events", secret_env: SINK_SECRET, events: [conversation.created, message.created] }}
"""
i = text.index("\nadapters:\n")
open(out, "w").write(text[:i + 1] + auto + text[i + 1:])
PY
export SINK_SECRET=${SINK_SECRET:-bench-sink-secret-0123456789}
CONFIG="$work/config.yaml" scripts/bench.sh "$@"
