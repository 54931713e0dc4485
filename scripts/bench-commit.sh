#!/usr/bin/env bash
# Group commit under moderate load: the same release gateway on a fresh SQLite file with
# `storage.commit_delay` at each of DELAYS (default "0s 1ms": none and the default), alternating, ROUNDS times. Each run ingests
# MESSAGES signed webhook messages open loop at RATE msg/s (CONNECTIONS, default 64; CUSTOMERS, default 5,000; RATE 0
# is a closed loop) after a warm-up, and prints throughput, p50/p99, the gateway's CPU and bytes written per
# message (/proc/PID/io), write calls per message and the number of ingest groups (from /metrics).
# Usage: scripts/bench-commit.sh [RATE] [MESSAGES] [ROUNDS]   e.g. scripts/bench-commit.sh 2000 60000 2
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${SWITCHBOARD_BIN:-.build/release/switchboard}
RATE=${1:-2000}
MESSAGES=${2:-60000}
ROUNDS=${3:-2}
CONNECTIONS=${CONNECTIONS:-64}
CUSTOMERS=${CUSTOMERS:-5000}
. scripts/lib.sh

run() {  # run DELAY: one gateway, one measured run
  local work delay=$1
  work=$(mktemp -d /tmp/sb-commit.XXXXXX)
  sed -e "s#data/switchboard.sqlite#$work/bench.sqlite#" -e "s#acknowledge: true#acknowledge: false#" \
    -e "/^  sqlite:/a\\  commit_delay: $delay" Config/switchboard.yaml > "$work/bench.yaml"
  (
    start_gateway "$work"
    "$BIN" bench --url "$url" --adapter shop-chat --secret-env SHOP_CHAT_SECRET --messages 5000 --connections 32 --customers "$CUSTOMERS" > /dev/null
    local rate=() w0 s0 c0 w1 s1 c1 groups
    [ "$RATE" != 0 ] && rate=(--rate "$RATE")
    read -r w0 s0 < <(awk '/^write_bytes/ {w = $2} /^syscw/ {s = $2} END {print w, s}' "/proc/$pid/io")
    c0=$(gateway_cpu)
    "$BIN" bench --url "$url" --adapter shop-chat --secret-env SHOP_CHAT_SECRET --messages "$MESSAGES" "${rate[@]}" \
      --connections "$CONNECTIONS" --customers "$CUSTOMERS" --json > "$work/run.json"
    read -r w1 s1 < <(awk '/^write_bytes/ {w = $2} /^syscw/ {s = $2} END {print w, s}' "/proc/$pid/io")
    c1=$(gateway_cpu)
    groups=$(curl -s "$url/metrics" | awk '/^switchboard_ingest_batch_size_count/ {print $2}')
    python3 - "$work/run.json" <<PY
import json, sys
r = json.load(open(sys.argv[1])); n = $MESSAGES
print(f"  commit_delay $delay: {r['throughput']:,.0f} msg/s, p50 {r['latency_ms']['p50']:.2f} ms, p99 {r['latency_ms']['p99']:.2f} ms | "
      f"gateway CPU {($c1 - $c0) / $(getconf CLK_TCK) * 1000 / n:.3f} ms/msg, {($w1 - $w0) / n:,.0f} B written/msg, "
      f"{($s1 - $s0) / n:.1f} write calls/msg, {n + 5000} messages in ${groups:-?} groups")
PY
  )
}

echo "== group commit: SQLite, open loop at $RATE msg/s (0: closed loop), $MESSAGES messages, $CONNECTIONS connections, $CUSTOMERS customers, $ROUNDS alternating rounds"
echo "   $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); gateway $BIN (git $(git rev-parse --short HEAD 2>/dev/null || echo '?'))"
for _ in $(seq 1 "$ROUNDS"); do
  for delay in ${DELAYS:-0s 1ms}; do run "$delay"; done
done
