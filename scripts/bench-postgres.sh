#!/usr/bin/env bash
# Gateways on one PostgreSQL, measured like scripts/bench.sh measures the embedded SQLite: a throw-away
# PostgreSQL on loopback (e2e/support/postgres_server.py: initdb, fsync on, synchronous_commit on),
# GATEWAYS release gateways on it (the example config, storage switched to postgres, acknowledgements
# off), and one `switchboard bench` per gateway at the same time; the figures are summed.
# Usage: scripts/bench-postgres.sh [GATEWAYS] [MESSAGES] [RATE]   e.g. scripts/bench-postgres.sh 2 20000 2000
# (PREPARED=false sends every statement unnamed, as behind a transaction-mode pgbouncer < 1.21.)
# STATEMENTS=1 loads pg_stat_statements and prints, at the end, the statements that took PostgreSQL's
# time (total, per call, calls, rows; how often it was planned and how long that took, not in total):
# where a message's database CPU goes.
# CUSTOMERS (default 1000) customers write in turn; CUSTOMERS=1000000 makes every message a new
# customer's (a new customer, identity and conversation each), the other case issue 19 asks about.
# CONNECTIONS (default 32) is each load generator's closed-loop connection count.
# SETUP_SQL runs on the primed database before the measured runs (an index option, a setting).
# Every 2xx is a committed transaction on PostgreSQL. All processes share this machine's cores, so
# the figure is what one box does; on several boxes each gateway would have its own.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${SWITCHBOARD_BIN:-.build/release/switchboard}
BENCH_BIN=${BENCH_BIN:-$BIN}
CONFIG=${CONFIG:-Config/switchboard.yaml}
GATEWAYS=${1:-1}
MESSAGES=${2:-20000}
RATE=${3:-2000}
POOL=${POOL:-20}
CUSTOMERS=${CUSTOMERS:-1000}
work=$(mktemp -d /tmp/sb-bench-pg.XXXXXX)
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

# PostgreSQL lives while fd 9 (its stdin) is open.
mkfifo "$work/pg.in"
[ -z "${STATEMENTS:-}" ] || export SB_POSTGRES_SETTINGS="shared_preload_libraries=pg_stat_statements pg_stat_statements.track=all pg_stat_statements.track_planning=on"
python3 e2e/support/postgres_server.py < "$work/pg.in" > "$work/pg.json" 2> "$work/pg.err" &
exec 9> "$work/pg.in"
for _ in $(seq 1 300); do [ -s "$work/pg.json" ] && break; sleep 0.1; done
[ -s "$work/pg.json" ] || { cat "$work/pg.err"; exit 1; }
pg_url=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["url"])' "$work/pg.json")
pg_port=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["port"])' "$work/pg.json")
pg_user=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["user"])' "$work/pg.json")
psql -h 127.0.0.1 -p "$pg_port" -U "$pg_user" -d postgres -qc "CREATE DATABASE bench" > /dev/null
[ -z "${STATEMENTS:-}" ] || psql -h 127.0.0.1 -p "$pg_port" -U "$pg_user" -d bench -qc "CREATE EXTENSION pg_stat_statements" > /dev/null
db_url=${pg_url%/postgres}/bench?sslmode=${SSLMODE:-disable}

export SB_TOKEN_ANA=${SB_TOKEN_ANA:-ana-dev-token-change-me-0123456789} SB_TOKEN_LUIS=${SB_TOKEN_LUIS:-luis-dev-token-change-me-0123456789}
export SB_TOKEN_MARTA=${SB_TOKEN_MARTA:-marta-dev-token-change-me-0123456789} SHOP_CHAT_SECRET=${SHOP_CHAT_SECRET:-dev-secret}
# PREPARED=false: every statement unnamed (storage.prepared_statements; unset: the gateway's default).
prepared=${PREPARED:+\\n  prepared_statements: $PREPARED}
sed -e "s#sqlite: data/switchboard.sqlite.*#postgres: \"$db_url\"\n  pool: $POOL$prepared#" -e "s#acknowledge: true#acknowledge: false#" \
  "$CONFIG" > "$work/bench.yaml"

urls=()
for g in $(seq 1 "$GATEWAYS"); do
  "$BIN" serve --config "$work/bench.yaml" --port 0 > "$work/gw$g.out" 2> "$work/gw$g.err" &
  pids+=($!)
  for _ in $(seq 1 150); do grep -q "listening on" "$work/gw$g.out" 2>/dev/null && break; sleep 0.1; done
  url=$(sed -n 's/^switchboard listening on //p' "$work/gw$g.out")
  [ -n "$url" ] || { cat "$work/gw$g.err"; exit 1; }
  urls+=("$url")
done

# Runs one bench per gateway at once (each its share of the messages); prints each and the sum.
run() {
  local label=$1; shift
  local share=$(( MESSAGES / GATEWAYS ))
  local bench_pids=()
  for g in $(seq 1 "$GATEWAYS"); do
    "$BENCH_BIN" bench --url "${urls[$((g - 1))]}" --adapter shop-chat --secret-env SHOP_CHAT_SECRET --customers "$CUSTOMERS" --json "$@" \
      > "$work/bench$g.json" 2> "$work/bench$g.err" &
    bench_pids+=($!)
  done
  local failed=0
  for p in "${bench_pids[@]}"; do wait "$p" || failed=1; done
  python3 - "$label" "$GATEWAYS" "$work" <<'PY'
import json, sys
label, gateways, work = sys.argv[1], int(sys.argv[2]), sys.argv[3]
runs = [json.load(open(f"{work}/bench{g}.json")) for g in range(1, gateways + 1)]
for g, r in enumerate(runs, 1):
    lat = r["latency_ms"]
    print(f"  gateway {g}: {r['ok']}/{r['sent']} ok, {r['throughput']:.0f} msg/s, "
          f"latency ms p50 {lat['p50']:.1f} p99 {lat['p99']:.1f} max {lat['max']:.1f}")
print(f"== {label}: {sum(r['throughput'] for r in runs):.0f} msg/s in all, {sum(r['sent'] - r['ok'] for r in runs)} failed")
PY
  [ "$failed" = 0 ] || { echo "a bench run failed"; for g in $(seq 1 "$GATEWAYS"); do cat "$work/bench$g.err"; done; exit 1; }
}

# CPU seconds (user + system, in clock ticks) of the gateways, and of PostgreSQL (the server started
# above and its backends): what a message costs each side, for sizing boxes (README Performance).
ticks() { local t=0 p; for p in "$@"; do t=$(( t + $(awk '{print $14 + $15}' /proc/$p/stat 2>/dev/null || echo 0) )); done; echo $t; }
pg_pids() { pgrep -f "postgres" | while read -r p; do [ "$(readlink /proc/$p/exe 2>/dev/null | grep -c postgres)" = 1 ] && echo "$p"; done; }
# A fresh database has no planner statistics: autovacuum's first ANALYZE comes within a minute,
# longer than a run. Measured from there, as a gateway runs once it has been up a minute: 2,000
# messages of other customers first, then ANALYZE (which also makes each connection plan again).
run "priming" --messages $(( 2000 / GATEWAYS )) --warmup 0 --connections 8 > /dev/null
psql -h 127.0.0.1 -p "$pg_port" -U "$pg_user" -d bench -qc "ANALYZE"
# SETUP_SQL runs here, on the primed database (to price an index or a setting).
[ -z "${SETUP_SQL:-}" ] || psql -h 127.0.0.1 -p "$pg_port" -U "$pg_user" -d bench -qc "$SETUP_SQL" > /dev/null
[ -z "${STATEMENTS:-}" ] || psql -h 127.0.0.1 -p "$pg_port" -U "$pg_user" -d bench -qAtc "SELECT pg_stat_statements_reset()" > /dev/null
echo "== PostgreSQL, $GATEWAYS gateway(s), pool $POOL: closed loop, $MESSAGES messages, ${CONNECTIONS:-32} connections per gateway, $CUSTOMERS customers"
gw_before=$(ticks "${pids[@]}"); pg_before=$(ticks $(pg_pids))
run "closed loop" --messages $(( MESSAGES / GATEWAYS )) --warmup 1000 --connections ${CONNECTIONS:-32}
gw_after=$(ticks "${pids[@]}"); pg_after=$(ticks $(pg_pids))
python3 -c "import sys; hz=100; n=$MESSAGES + 1000 * $GATEWAYS; g=($gw_after-$gw_before)*1000/hz/n; p=($pg_after-$pg_before)*1000/hz/n
print(f'   CPU per message: gateways {g:.3f} ms, PostgreSQL {p:.3f} ms (warm-up included; on one box they share its cores)')"
echo "== PostgreSQL, $GATEWAYS gateway(s): open loop at $RATE messages/s in all"
run "open loop at $RATE/s" --messages $(( RATE * 10 / GATEWAYS )) --rate "$(( RATE / GATEWAYS ))" --connections 64
psql -h 127.0.0.1 -p "$pg_port" -U "$pg_user" -d bench -Atc \
  "SELECT 'stored: ' || count(*) || ' messages, ' || (SELECT count(*) FROM conversations) || ' conversations' FROM messages"
# How many of the conversations' updates were HOT (no index entry written): one that changes an
# indexed column (last_message_at is in three indexes) writes an entry in every index.
psql -h 127.0.0.1 -p "$pg_port" -U "$pg_user" -d bench -Atc \
  "SELECT 'conversations: ' || n_tup_upd || ' updates, ' || n_tup_hot_upd || ' of them HOT' FROM pg_stat_user_tables WHERE relname = 'conversations'"
if [ -n "${STATEMENTS:-}" ]; then
  echo "== where PostgreSQL's time went (pg_stat_statements, top 20 by total time; triggers' statements included)"
  psql -h 127.0.0.1 -p "$pg_port" -U "$pg_user" -d bench -P pager=off -c "
    SELECT round(total_exec_time)::int AS total_ms, round((total_exec_time / nullif(calls, 0))::numeric, 3) AS ms_per_call, calls, rows,
           plans, round(total_plan_time)::int AS plan_ms,
           left(regexp_replace(query, '\s+', ' ', 'g'), 110) AS query
    FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = 'bench')
    ORDER BY total_exec_time DESC LIMIT 20"
fi
