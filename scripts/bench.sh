#!/usr/bin/env bash
# Starts a release gateway on a fresh SQLite file (the example config, a free port) and measures it
# with `switchboard bench`: closed loop (maximum durable throughput), then open loop at a fixed rate;
# after each, the gateway's and the generator's CPU per message (steadier than the rate on a shared machine).
# Usage: scripts/bench.sh [MESSAGES] [RATE] [FORMAT]   e.g. scripts/bench.sh 50000 2000 whatsapp
# FORMAT is webhook (the generic JSON adapter, default) or whatsapp (WhatsApp Cloud API webhooks).
# CONTEXT_URL=http://… adds an `http` context provider with that URL template (e.g. one that never
# answers, scripts/silent-server.py) to show that providers do not slow ingestion.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${SWITCHBOARD_BIN:-.build/release/switchboard}
# The load generator and the configuration may come from elsewhere (scripts/bench-compare.sh measures
# an older build with its own configuration and this build's client).
BENCH_BIN=${BENCH_BIN:-$BIN}
CONFIG=${CONFIG:-Config/switchboard.yaml}
MESSAGES=${1:-50000}
RATE=${2:-2000}
FORMAT=${3:-webhook}
work=$(mktemp -d /tmp/sb-bench.XXXXXX)
. scripts/lib.sh  # the example's tokens and secrets, apply_setup_sql
# Ingestion only: acknowledgements off (with them on, every new bench customer also gets a reply
# queued, retried against the example's unreachable receiver) — ACKNOWLEDGE=true measures them too.
sed -e "s#data/switchboard.sqlite#$work/bench.sqlite#" -e "s#acknowledge: true#acknowledge: ${ACKNOWLEDGE:-false}#" \
  "$CONFIG" > "$work/bench.yaml"
# A WhatsApp adapter next to the example's webhook adapter (adapters: is the file's last section).
export WA_TOKEN=${WA_TOKEN:-bench-token} META_APP_SECRET=${META_APP_SECRET:-bench-app-secret} META_VERIFY_TOKEN=${META_VERIFY_TOKEN:-bench-verify}
cat >> "$work/bench.yaml" <<'YAML'
  - id: wa
    type: whatsapp
    team: support
    phone_number_id: "106540352242922"
    access_token_env: WA_TOKEN
    app_secret_env: META_APP_SECRET
    verify_token_env: META_VERIFY_TOKEN
YAML
# The unsigned twin of the generic webhook, for wrk (left out with NO_WRK, so that older builds can be
# measured: scripts/bench-compare.sh).
[ -n "${NO_WRK:-}" ] || add_open_webhook "$work/bench.yaml"
if [ -n "${CONTEXT_URL:-}" ]; then
  printf 'context_providers:\n  - { id: shop, type: http, url: "%s", timeout: 2s, cache: 5m }\n' "$CONTEXT_URL" >> "$work/bench.yaml"
fi
if [ "$FORMAT" = whatsapp ]; then target=(--adapter wa --format whatsapp --secret-env META_APP_SECRET)
else target=(--adapter shop-chat --secret-env SHOP_CHAT_SECRET); fi

apply_setup_sql "$work"
"$BIN" serve --config "$work/bench.yaml" --port 0 > "$work/stdout" 2> "$work/stderr" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do grep -q "listening on" "$work/stdout" 2>/dev/null && break; sleep 0.1; done
url=$(sed -n 's/^switchboard listening on //p' "$work/stdout")
[ -n "$url" ] || { cat "$work/stderr"; exit 1; }

CUSTOMERS=${CUSTOMERS:-5000}
echo "== conditions: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "   gateway $BIN (git $(git rev-parse --short HEAD 2>/dev/null || echo '?')), load generator $BENCH_BIN on the same machine"
echo "   SQLite synchronous=FULL on a fresh file in $work ($(df -T "$work" | awk 'NR==2 {print $2}')), acknowledgements ${ACKNOWLEDGE:-false}, $CUSTOMERS customers who return"
echo "== $FORMAT, closed loop: $MESSAGES messages, 32 connections, signed (durable: each 2xx is on disk)"
measure_cpu $((MESSAGES + 2000)) "$BENCH_BIN" bench --url "$url" "${target[@]}" --messages "$MESSAGES" --warmup 2000 --connections 32 --customers "$CUSTOMERS"
echo "== $FORMAT, open loop: $RATE messages/s"
measure_cpu $((RATE * 10)) "$BENCH_BIN" bench --url "$url" "${target[@]}" --messages $((RATE * 10)) --rate "$RATE" --connections 64 --customers "$CUSTOMERS"
if [ "$FORMAT" = webhook ] && [ -z "${NO_WRK:-}" ]; then
  echo "== closed loop, 64 connections, signed: switchboard bench"
  measure_cpu $((MESSAGES + 2000)) "$BENCH_BIN" bench --url "$url" "${target[@]}" --messages "$MESSAGES" --warmup 2000 --connections 64 --customers "$CUSTOMERS"
  if command -v wrk >/dev/null; then
    # The cross-check: a C load generator, the same gateway. /healthz is the HTTP ceiling of this
    # server here; the ingest line is the same closed loop, unsigned (adapter bench-open).
    echo "== wrk, 1 thread, 64 connections, 10 s: GET /healthz (the trivial route)"
    wrk -t1 -c64 -d10s --latency "$url/healthz" | grep -E 'Requests/sec|Non-2xx|99%|50%'
    echo "== wrk, 1 thread, 64 connections, 10 s: durable ingest, unsigned"
    CUSTOMERS=$CUSTOMERS RUN=$RANDOM$RANDOM wrk -t1 -c64 -d10s --latency -s scripts/wrk-ingest.lua "$url/hooks/bench-open" | grep -E 'Requests/sec|Non-2xx|99%|50%'
  else
    echo "(wrk is not installed: apt-get install -y wrk for the cross-check)"
  fi
fi
