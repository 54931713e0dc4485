#!/usr/bin/env bash
# Durable webhook ingest on an empty database against the same gateway on a database that already
# holds HISTORY messages of generated history (issue 19: the cost per message must not grow with
# history). Both runs use the configuration generate-history's databases are served with (lib.sh
# history_config: 20 agents, signed webhook adapters); rounds alternate empty/history so drift in the
# machine's load hits both alike. Each history round works on a fresh copy of the generated database.
# Usage: scripts/bench-history-ingest.sh [HISTORY] [ROUNDS] [MESSAGES]
#   HISTORY (default 1000000): the database is DATA_DIR/history-HISTORY.sqlite, made by
#   `KEEP=1 GENERATE_ONLY=1 scripts/bench-search.sh HISTORY` when missing (bench-search reuses it too).
#   CUSTOMERS (5000) and CONNECTIONS (32) shape the load; SWITCHBOARD_BIN is the gateway (release build).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${SWITCHBOARD_BIN:-.build/release/switchboard}
HISTORY=${1:-1000000}
ROUNDS=${2:-2}
MESSAGES=${3:-30000}
CUSTOMERS=${CUSTOMERS:-5000}
CONNECTIONS=${CONNECTIONS:-32}
DATA_DIR=${DATA_DIR:-/tmp/sb-bench-search}
history_db="$DATA_DIR/history-$HISTORY.sqlite"
. scripts/lib.sh
if [ ! -s "$history_db" ]; then
  KEEP=1 GENERATE_ONLY=1 DATA_DIR="$DATA_DIR" SWITCHBOARD_BIN="$BIN" scripts/bench-search.sh "$HISTORY"
fi
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== build $(git rev-parse --short HEAD), $MESSAGES signed webhook messages per run, $CUSTOMERS customers, $CONNECTIONS connections, synchronous=FULL"
echo "== history: $(du -h "$history_db" | cut -f1), $(sqlite3 "$history_db" 'SELECT count(*) FROM messages') messages, $(sqlite3 "$history_db" 'SELECT count(*) FROM customers') customers"

one_run() {  # label → prints "label msg/s cpu rss"
  local label=$1 work out
  work=$(mktemp -d /tmp/sb-bench-history.XXXXXX)
  # A consistent copy (with what the WAL holds) that leaves the original untouched.
  if [ "$label" = history ]; then sqlite3 "$history_db" ".backup '$work/bench.sqlite'"; fi
  history_config "$work/bench.yaml" "storage: { sqlite: \"$work/bench.sqlite\" }"
  (
    start_gateway "$work"
    "$BIN" bench --url "$url" --adapter chat --secret-env HOOK_SECRET --messages 2000 --connections "$CONNECTIONS" \
      --customers "$CUSTOMERS" > /dev/null
    out=$(measure_cpu "$MESSAGES" "$BIN" bench --url "$url" --adapter chat --secret-env HOOK_SECRET --messages "$MESSAGES" \
      --connections "$CONNECTIONS" --customers "$CUSTOMERS")
    rate=$(grep -oE 'throughput +[0-9.]+' <<< "$out" | grep -oE '[0-9.]+$')
    p99=$(grep -oE 'p99 [0-9.]+' <<< "$out" | head -1 | grep -oE '[0-9.]+$')
    cpu=$(grep -oE 'gateway [0-9.]+' <<< "$out" | grep -oE '[0-9.]+$')
    rss=$(awk '/VmRSS/ {print int($2 / 1024)}' "/proc/$pid/status")
    echo "$label ${rate:-?} ${p99:-?} ${cpu:-?} $rss"
  )
}

results=()
for round in $(seq 1 "$ROUNDS"); do
  if (( round % 2 )); then order=(empty history); else order=(history empty); fi
  for label in "${order[@]}"; do
    line=$(one_run "$label")
    echo "round $round: $line (msg/s, p99 ms, gateway CPU ms/msg, RSS MB)"
    results+=("$line")
  done
done
printf '%s\n' "${results[@]}" | python3 -c '
import sys, statistics
rows = [l.split() for l in sys.stdin if l.strip()]
med = {k: statistics.median(float(r[1]) for r in rows if r[0] == k and r[1] != "?") for k in ("empty", "history")}
cpu = {k: statistics.median(float(r[3]) for r in rows if r[0] == k and r[3] != "?") for k in ("empty", "history")}
e, h = med["empty"], med["history"]
print("empty: median %.0f msg/s (%.3f ms CPU/msg); history: median %.0f msg/s (%.3f ms CPU/msg); history/empty %.2f" % (e, cpu["empty"], h, cpu["history"], h / e))
'
