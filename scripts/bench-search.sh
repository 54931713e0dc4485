#!/usr/bin/env bash
# The search benchmark: fills a database with MESSAGES messages of realistic made-up history
# (`switchboard generate-history`: 20 agents, 2 supervisors, chat / e-mail / SMS customers, a year of
# threads), then times searches through the search code the API runs (`switchboard bench-search`:
# common, medium and rare words, names, two words; as a supervisor and as an agent; newest first and
# by relevance), then a few searches over HTTP against a release gateway on that database, and finally
# the views whose cost must not grow with history, over HTTP on that gateway: the inbox of an agent
# with many open conversations (generate-history --busy-agent), customer search, a page of a long
# thread (--long-thread) and its customer card; and the gateway's resident memory after serving them.
# Usage: scripts/bench-search.sh [MESSAGES] [ENGINE]   e.g. scripts/bench-search.sh 1000000 sqlite
# ENGINE is sqlite (default) or postgres (a throw-away PostgreSQL on loopback, e2e/support/postgres_server.py).
# DATA_DIR keeps the SQLite database between runs (default /tmp/sb-bench-search); KEEP=1 reuses one of
# the same size instead of generating it again. QUERIES and CONCURRENCY tune bench-search; ORDER=relevance
# times only relevance-ordered searches; SEARCH_ONLY=1 skips the HTTP part, GENERATE_ONLY=1 stops after generating; REQUESTS (200) is the number
# of timed requests per view. LONG_THREAD (default min(10000, MESSAGES/10)) and BUSY_OPEN (default
# min(20000, MESSAGES/50)) size the long thread (customer 1) and agent a20's open conversations
# (bench-search's agent is a01, whose share stays that of the other agents).
# HOLD=1 keeps the database (and a throw-away PostgreSQL) up at the end, printing how to reach it,
# until the script is interrupted: for EXPLAIN ANALYZE on the generated history.
# SB_POSTGRES_SETTINGS="shared_buffers=4GB …" sets the throw-away PostgreSQL's settings (its own
# shared_buffers is 32 MB, a test server's; a deployment gives it a share of the memory).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${SWITCHBOARD_BIN:-.build/release/switchboard}
MESSAGES=${1:-1000000}
ENGINE=${2:-sqlite}
QUERIES=${QUERIES:-400}
CONCURRENCY=${CONCURRENCY:-4}
REQUESTS=${REQUESTS:-200}
LONG_THREAD=${LONG_THREAD:-$((MESSAGES / 10 < 10000 ? MESSAGES / 10 : 10000))}
BUSY_OPEN=${BUSY_OPEN:-$((MESSAGES / 50 < 20000 ? MESSAGES / 50 : 20000))}
DATA_DIR=${DATA_DIR:-/tmp/sb-bench-search}
mkdir -p "$DATA_DIR"
work=$(mktemp -d /tmp/sb-bench-search-run.XXXXXX)
chmod 755 "$work"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  exec 9>&- 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

. scripts/lib.sh
if [ "$ENGINE" = postgres ]; then
  mkfifo "$work/pg.in"
  python3 e2e/support/postgres_server.py < "$work/pg.in" > "$work/pg.json" 2> "$work/pg.err" &
  exec 9> "$work/pg.in"
  for _ in $(seq 1 300); do [ -s "$work/pg.json" ] && break; sleep 0.1; done
  [ -s "$work/pg.json" ] || { cat "$work/pg.err"; exit 1; }
  pg_url=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["url"])' "$work/pg.json")
  pg_port=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["port"])' "$work/pg.json")
  pg_user=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["user"])' "$work/pg.json")
  psql -h 127.0.0.1 -p "$pg_port" -U "$pg_user" -d postgres -qc "CREATE DATABASE bench" > /dev/null
  storage="storage: { postgres: \"${pg_url%/postgres}/bench?sslmode=disable\", pool: 8 }"
  fresh=1
else
  db="$DATA_DIR/history-$MESSAGES.sqlite"
  storage="storage: { sqlite: \"$db\" }"
  fresh=1
  if [ "${KEEP:-0}" = 1 ] && [ -s "$db" ]; then fresh=0; else rm -f "$db" "$db-wal" "$db-shm"; fi
fi

history_config "$work/bench.yaml" "$storage"

echo "== machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GB RAM, $(uname -sr); engine $ENGINE"
if [ "$fresh" = 1 ]; then
  echo "== generate-history: $MESSAGES messages"
  /usr/bin/time -f "   (%e s wall, %M KB max resident)" "$BIN" generate-history --config "$work/bench.yaml" --messages "$MESSAGES" \
    --adapters chat:chat,mail:email,sms:phone --long-thread "$LONG_THREAD" --busy-agent "a20:$BUSY_OPEN"
fi
hold() {
  [ "${HOLD:-0}" = 1 ] || return 0
  if [ "$ENGINE" = postgres ]; then echo "== holding: psql -h 127.0.0.1 -p $pg_port -U $pg_user -d bench   (config $work/bench.yaml)"
  else echo "== holding: sqlite3 $db   (config $work/bench.yaml)"; fi
  while :; do sleep 3600; done
}
[ "${GENERATE_ONLY:-0}" = 1 ] && { hold; exit 0; }
if [ "$ENGINE" = sqlite ]; then
  echo "== database: $(du -h "$db" | cut -f1) ($db)"
else
  psql -h 127.0.0.1 -p "$pg_port" -U "$pg_user" -d bench -Atc \
    "SELECT '== database: ' || pg_size_pretty(pg_database_size('bench')) || ', index: ' || pg_size_pretty(pg_total_relation_size('search_messages'))"
fi

echo "== bench-search: $QUERIES searches, $CONCURRENCY at a time"
"$BIN" bench-search --config "$work/bench.yaml" --queries "$QUERIES" --concurrency "$CONCURRENCY" ${ORDER:+--order "$ORDER"}
[ "${SEARCH_ONLY:-0}" = 1 ] && { hold; exit 0; }

echo "== over HTTP (a release gateway on the same database, one client, 20 searches each)"
"$BIN" serve --config "$work/bench.yaml" --port 0 > "$work/gw.out" 2> "$work/gw.err" &
pids+=($!)
for _ in $(seq 1 300); do grep -q "listening on" "$work/gw.out" 2>/dev/null && break; sleep 0.1; done
url=$(sed -n 's/^switchboard listening on //p' "$work/gw.out")
[ -n "$url" ] || { cat "$work/gw.err"; exit 1; }
for q in pedido lavadora "A-482133" "Lucía García" "camion Madrid"; do
  for agent in marta a01; do
    token=$([ "$agent" = marta ] && echo "$SB_TOKEN_MARTA" || echo "$SB_TOKEN_A01")
    for _ in $(seq 1 20); do
      curl -s -o /dev/null -w '%{time_total}\n' -H "Authorization: Bearer $token" -G --data-urlencode "q=$q" -d limit=20 "$url/api/v1/search"
    done | sort -n | awk -v q="$(printf '%-16s' "$q")" -v a="$agent" '{t[NR]=$1} END {printf "   %s as %-6s p50 %6.1f ms  p95 %6.1f ms\n", q, a, t[int(NR*0.5+0.5)]*1000, t[int(NR*0.95+0.5)]*1000}'
  done
done

REQUESTS=$REQUESTS scripts/bench-views.sh "$url" "$([ "$ENGINE" = sqlite ] && echo "$db")"
gw=${pids[0]}
echo "   gateway RSS after serving: $(awk '/VmRSS/ {printf "%.0f MB", $2/1024}' /proc/$gw/status) (peak $(awk '/VmHWM/ {printf "%.0f MB", $2/1024}' /proc/$gw/status))"
hold
