#!/usr/bin/env bash
# Issue 19's first target as one figure per run: durable webhook ingest as a share of the same
# gateway's trivial route. Each run starts a release gateway on a fresh SQLite file (the example
# configuration, acknowledgements off, plus an unsigned webhook adapter for wrk), then wrk (1 thread,
# 64 keep-alive connections): GET /healthz 6 s, ingest 8 s (5,000 customers who return), GET /healthz
# 6 s; the ratio is the ingest rate over the mean of the two /healthz rates (bracketing the ingest
# run, so that the machine's drift hits both), and the gateway's CPU per message during the ingest run.
# With OLD_BIN, the two builds alternate run by run (a slow hour then hits both alike).
# Usage: [OLD_BIN=/path/to/older/switchboard] scripts/bench-ratio.sh [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
NEW_BIN=${NEW_BIN:-$PWD/.build/release/switchboard}
ROUNDS=${1:-3}
command -v wrk > /dev/null || { echo "wrk is needed: apt-get install -y wrk"; exit 1; }
. scripts/lib.sh
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load average $(cut -d' ' -f1-3 /proc/loadavg); new $NEW_BIN (git $(git rev-parse --short HEAD))${OLD_BIN:+, old $OLD_BIN}"

run() {  # BIN → one line of figures
  local bin=$1 work pid url h1 h2 i t0 t1
  work=$(mktemp -d /tmp/sb-ratio.XXXXXX)
  sed -e "s#data/switchboard.sqlite#$work/bench.sqlite#" -e "s#acknowledge: true#acknowledge: false#" Config/switchboard.yaml > "$work/bench.yaml"
  add_open_webhook "$work/bench.yaml"
  "$bin" serve --config "$work/bench.yaml" --port 0 > "$work/stdout" 2> "$work/stderr" &
  pid=$!
  for _ in $(seq 1 100); do grep -q "listening on" "$work/stdout" 2>/dev/null && break; sleep 0.1; done
  url=$(sed -n 's/^switchboard listening on //p' "$work/stdout")
  [ -n "$url" ] || { cat "$work/stderr"; kill $pid; exit 1; }
  # Warm-up: the customers' first messages (new customers) are not what is measured.
  CUSTOMERS=5000 RUN=warm$RANDOM wrk -t1 -c64 -d3s -s scripts/wrk-ingest.lua "$url/hooks/bench-open" > /dev/null
  h1=$(wrk -t1 -c64 -d6s "$url/healthz" | awk '/Requests\/sec/ {print $2}')
  t0=$(gateway_cpu)
  i=$(CUSTOMERS=5000 RUN=$RANDOM$RANDOM wrk -t1 -c64 -d8s -s scripts/wrk-ingest.lua "$url/hooks/bench-open" | awk '/Requests\/sec/ {print $2}')
  t1=$(gateway_cpu)
  h2=$(wrk -t1 -c64 -d6s "$url/healthz" | awk '/Requests\/sec/ {print $2}')
  kill $pid; wait $pid 2>/dev/null || true; rm -rf "$work"
  python3 -c "
h = ($h1 + $h2) / 2; i = $i; ticks = $(getconf CLK_TCK)
print(f'/healthz {h:,.0f} req/s, ingest {i:,.0f} msg/s, ratio {i / h:.3f}, gateway CPU {($t1 - $t0) / ticks * 1000 / (i * 8):.3f} ms per message')"
}

for round in $(seq 1 "$ROUNDS"); do
  [ -z "${OLD_BIN:-}" ] || echo "round $round, old: $(run "$OLD_BIN")"
  echo "round $round, new: $(run "$NEW_BIN")"
done
