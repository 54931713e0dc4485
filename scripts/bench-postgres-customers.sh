#!/usr/bin/env bash
# One gateway on PostgreSQL, returning customers (1,000) and new ones (every message a customer never
# seen), for this build and optionally an older one, alternating; and SQLite on this build in the same
# rounds, for the ratio issue 19 asks about (PostgreSQL ≥ 0.5 of SQLite, for both kinds of customer).
# Usage: scripts/bench-postgres-customers.sh [ROUNDS] [MESSAGES]
#   OLD_BIN=/path/to/older/switchboard adds the older build's PostgreSQL figures (load generator: this build's).
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-2}
MESSAGES=${2:-20000}
NEW_BIN=${NEW_BIN:-$PWD/.build/release/switchboard}
builds=(new)
[ -n "${OLD_BIN:-}" ] && builds=(old new)
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load average $(cut -d' ' -f1-3 /proc/loadavg); new $(git rev-parse --short HEAD)"
for round in $(seq 1 "$ROUNDS"); do
  for customers in 1000 1000000; do
    for which in "${builds[@]}"; do
      bin=$NEW_BIN
      [ "$which" = old ] && bin=$OLD_BIN
      out=$(CUSTOMERS=$customers SWITCHBOARD_BIN=$bin BENCH_BIN=$NEW_BIN scripts/bench-postgres.sh 1 "$MESSAGES" 500 2>&1)
      echo "round $round, $customers customers, $which, PostgreSQL: $(grep -oE 'closed loop: [0-9]+ msg/s' <<<"$out" | head -1);" \
        "$(grep -oE 'gateways [0-9.]+ ms, PostgreSQL [0-9.]+ ms' <<<"$out")"
    done
    out=$(NO_WRK=1 CUSTOMERS=$customers SWITCHBOARD_BIN=$NEW_BIN scripts/bench.sh "$MESSAGES" 1000 2>&1 | sed -n '/closed loop/,/open loop/p')
    echo "round $round, $customers customers, new, SQLite: closed loop: $(grep -oE 'throughput +[0-9.]+' <<<"$out" | grep -oE '[0-9.]+$') msg/s; $(grep -oE 'gateway [0-9.]+ ms/msg' <<<"$out" | head -1)"
  done
done
