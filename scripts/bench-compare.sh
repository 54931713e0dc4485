#!/usr/bin/env bash
# Two builds side by side on this machine, alternating runs so that drift in the machine's load hits
# both alike: durable webhook ingest on SQLite (scripts/bench.sh, closed loop) and one gateway on
# PostgreSQL (scripts/bench-postgres.sh 1). Each build runs with its own example configuration; the
# load generator is always this build's `switchboard bench`, so only the gateway differs.
# Usage: scripts/bench-compare.sh OLD_CHECKOUT [ROUNDS] [MESSAGES]
#   OLD_CHECKOUT: a worktree of the older commit with `swift build -c release` done in it, e.g.
#   git worktree add --detach ../sb-old <commit> && (cd ../sb-old && swift build -c release --product switchboard)
# BARE=1 adds a third gateway, SQLite only: this tree without what later issues added to every
# message's transaction (the search index, issue 20: built with -DBENCH_WITHOUT_SEARCH_INDEX into
# .build-bench-bare; the indexes and the contact-counter trigger of issues 17-20: dropped by
# BARE_SQL). Against 5e30a82 it prices issue 16's refactor alone; the gap between new and bare is
# what those features cost.
set -euo pipefail
cd "$(dirname "$0")/.."
OLD=${1:?usage: scripts/bench-compare.sh OLD_CHECKOUT [ROUNDS] [MESSAGES]}
ROUNDS=${2:-3}
MESSAGES=${3:-30000}
NEW_BIN=${NEW_BIN:-$PWD/.build/release/switchboard}
OLD_BIN=${OLD_BIN:-$OLD/.build/release/switchboard}
[ -x "$NEW_BIN" ] && [ -x "$OLD_BIN" ] || { echo "build both in release first"; exit 1; }
BARE_BIN=${BARE_BIN:-$PWD/.build-bench-bare/release/switchboard}
# messages_thread_order stays: since migration 031 it is a conversation's only index of its messages, as
# messages_by_conversation was in 5e30a82.
BARE_SQL=${BARE_SQL:-"DROP INDEX conversations_active; DROP INDEX conversations_due_by_assignee; DROP INDEX conversations_due_by_owner;
  DROP INDEX messages_stored_attachments; DROP INDEX messages_unredacted; DROP TRIGGER contacts_message_added;"}
if [ -n "${BARE:-}" ] && [ ! -x "$BARE_BIN" ]; then
  swift build -c release --product switchboard --scratch-path .build-bench-bare -Xswiftc -DBENCH_WITHOUT_SEARCH_INDEX
fi
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); old $(git -C "$OLD" rev-parse --short HEAD), new $(git rev-parse --short HEAD)"

measure() {  # build-label bin config engine [setup-sql] → prints "label engine msg/s"
  local label=$1 bin=$2 config=$3 engine=$4 setup=${5:-} out
  if [ "$engine" = sqlite ]; then
    out=$(NO_WRK=1 SETUP_SQL=$setup SWITCHBOARD_BIN=$bin BENCH_BIN=$NEW_BIN CONFIG=$config scripts/bench.sh "$MESSAGES" 1000 2>&1 | sed -n '/closed loop/,/open loop/p')
    rate=$(grep -oE 'throughput[^0-9]*[0-9.]+' <<<"$out" | head -1 | grep -oE '[0-9.]+$')
  else
    out=$(SWITCHBOARD_BIN=$bin BENCH_BIN=$NEW_BIN CONFIG=$config scripts/bench-postgres.sh 1 "$MESSAGES" 1000 2>&1)
    rate=$(grep -oE '== closed loop: [0-9]+' <<<"$out" | grep -oE '[0-9]+$')
  fi
  echo "$label $engine ${rate:-?}"
}

results=()
for round in $(seq 1 "$ROUNDS"); do
  for engine in ${ENGINES:-sqlite postgres}; do
    if (( round % 2 )); then order=(old new); else order=(new old); fi
    if [ -n "${BARE:-}" ] && [ "$engine" = sqlite ]; then
      if (( round % 2 )); then order=(old new bare); else order=(bare new old); fi
    fi
    for which in "${order[@]}"; do
      case $which in
        old) line=$(measure old "$OLD_BIN" "$OLD/Config/switchboard.yaml" "$engine") ;;
        new) line=$(measure new "$NEW_BIN" Config/switchboard.yaml "$engine") ;;
        bare) line=$(measure bare "$BARE_BIN" Config/switchboard.yaml "$engine" "$BARE_SQL") ;;
      esac
      echo "round $round: $line"
      results+=("$line")
    done
  done
done
printf '%s\n' "${results[@]}" | python3 -c '
import sys, statistics
rows = [l.split() for l in sys.stdin if l.strip()]
for engine in ("sqlite", "postgres"):
    old = [float(r[2]) for r in rows if r[1] == engine and r[0] == "old" and r[2] != "?"]
    new = [float(r[2]) for r in rows if r[1] == engine and r[0] == "new" and r[2] != "?"]
    bare = [float(r[2]) for r in rows if r[1] == engine and r[0] == "bare" and r[2] != "?"]
    if old and new:
        o, n = statistics.median(old), statistics.median(new)
        print(f"{engine}: old median {o:.0f} msg/s {old}, new median {n:.0f} msg/s {new}, new/old {n / o:.3f}")
    if old and bare:
        b = statistics.median(bare)
        print(f"{engine}: bare median {b:.0f} msg/s {bare}, bare/old {b / o:.3f}, new/bare {n / b:.3f}")
'
