#!/usr/bin/env bash
# The mixed soak (issue 19, item 6): a release gateway on a fresh SQLite file (synchronous=FULL, the
# example configuration, acknowledgements off) for MINUTES minutes, with at once
#   - ingest at RATE messages/s: `switchboard bench --rate RATE`, open loop, signed, 64 connections, one
#     minute's messages per run (CUSTOMERS customers who return within the minute, new ones each minute);
#   - agents (ana, luis) reading and replying through the API: scripts/soak-agents.py (inbox, one
#     conversation's newest page, a reply, 0.2 s to think; about 4 replies/s);
#   - the replies delivered to a slow local endpoint that answers after DELAY seconds (default 1).
# Once a minute it prints the gateway's RSS (and what the allocator holds in use and free, and SQLite of it), that minute's ingest p99 (and its 2xx count), the replies
# delivered in that minute, the outbox depth (replies not yet delivered), the agents' read p99, the
# ingest groups whose transaction took 25 ms or more (each held up the requests queued behind it), and
# the disk's slow flushes and checkpoints as the gateway logged them; at the
# end a verdict: RSS within ±10 % of minute 2's (warm-up) every minute after it, ingest p99 flat (no
# minute after the second above 1.5× minute 2's p99 + 2 ms), every ingest answered 2xx; and which minutes
# over the bound had a disk flush of 100 ms or more.
# Usage: scripts/soak.sh [MINUTES] [RATE]   e.g. scripts/soak.sh 30 2000 (the defaults); SETUP_SQL: see apply_setup_sql in scripts/lib.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${SWITCHBOARD_BIN:-.build/release/switchboard}
MINUTES=${1:-30}
RATE=${2:-2000}
CUSTOMERS=${CUSTOMERS:-5000}
DELAY=${DELAY:-1}
. scripts/lib.sh
work=$(mktemp -d /tmp/sb-soak.XXXXXX)
PORT=$(free_port)

# The slow endpoint (inside the agents' helper) first: the gateway's configuration names it.
python3 scripts/soak-agents.py "http://127.0.0.1:$PORT" "$work/agents.json" --delay "$DELAY" > "$work/agents.out" 2> "$work/agents.err" &
agents=$!
trap 'kill $agents 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do grep -q endpoint "$work/agents.out" 2>/dev/null && break; sleep 0.1; done
endpoint=$(python3 -c 'import json, sys; print(json.load(sys.stdin)["endpoint"])' < "$work/agents.out")
sed -e "s#data/switchboard.sqlite#$work/bench.sqlite#" -e "s#acknowledge: true#acknowledge: false#" \
  -e "s#http://127.0.0.1:9000/send#$endpoint#" Config/switchboard.yaml > "$work/bench.yaml"
# The kernel's dirty and writeback page cache, sampled twice a second: the most of each per minute is
# printed with the file sizes, to see whether a slow minute goes with the disk catching up.
( while sleep 0.5; do awk '/^(Dirty|Writeback):/ {printf "%s ", $2} END {print ""}' /proc/meminfo; done > "$work/dirty.log" ) &
sampler=$!
apply_setup_sql "$work"  # SETUP_SQL (scripts/lib.sh)
ALSO_STOP="$agents $sampler" start_gateway "$work"

echo "== soak: $MINUTES min, ingest $RATE msg/s (open loop, signed, 64 connections, $CUSTOMERS customers a minute), agents ana + luis reading and replying, deliveries to an endpoint answering after ${DELAY} s"
echo "   $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), load average $(cut -d' ' -f1-3 /proc/loadavg); gateway $BIN (git $(git rev-parse --short HEAD 2>/dev/null || echo '?')); SQLite in $work ($(df -T "$work" | awk 'NR==2 {print $2}'))"
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$pid/status"; }
outbox() { python3 -c "import sqlite3, sys; print(sqlite3.connect('file:$work/bench.sqlite?mode=ro', uri=True).execute('SELECT count(*) FROM outbox').fetchone()[0])"; }
agent() { python3 -c "import json; print(json.load(open('$work/agents.json')).get('$1') or 0)"; }
disk() {  # "dirty max MB, writeback max MB, database MB, WAL MB" for the minute just ended
  awk '{ if ($1 > d) d = $1; if ($2 > w) w = $2 } END { printf "%.0f %.0f", d / 1024, w / 1024 }' "$work/dirty.log"
  : > "$work/dirty.log"
  printf ' %.0f %.0f' "$(( $(stat -c %s "$work/bench.sqlite") / 1048576 ))" "$(( $( (stat -c %s "$work/bench.sqlite-wal" 2>/dev/null || echo 0) ) / 1048576 ))"
}
delivered_before=0
ticks_before=$(awk '{print $14 + $15}' "/proc/$pid/stat")
# What the gateway handed the kernel to write (WAL frames, checkpoints, the database file), in bytes:
# unlike its times, the same on a slow or a shared machine for the same work.
written() { awk '/^wchar:/ {print $2}' "/proc/$pid/io"; }
written_before=$(written)
for minute in $(seq 1 "$MINUTES"); do
  "$BIN" bench --url "$url" --adapter shop-chat --secret-env SHOP_CHAT_SECRET --messages $((RATE * 60)) --rate "$RATE" \
    --connections 64 --customers "$CUSTOMERS" --json > "$work/minute.json" || true  # failures are counted below
  delivered=$(agent replies_delivered)
  # The gateway's CPU (user + system, clock ticks of 10 ms) in this minute, per message ingested.
  ticks=$(awk '{print $14 + $15}' "/proc/$pid/stat")
  cpu_ms=$(( (ticks - ticks_before) * 10 ))
  ticks_before=$ticks
  now_written=$(written)
  wrote=$((now_written - written_before))
  written_before=$now_written
  python3 - "$minute" "$(rss_kb)" "$(outbox)" $((delivered - delivered_before)) "$(agent read_p99_ms)" "$(agent errors)" \
    "$work/minute.json" "$work/minutes.tsv" "$(disk)" "$cpu_ms:$wrote" "$work/stderr" \
    "$(curl -s "$url/metrics" | awk '/^switchboard_(sqlite_memory|malloc_in_use|malloc_free)_bytes / {printf "%s=%s ", $1, $2}
      /^switchboard_ingest_write_seconds_bucket\{le="0.025"\} / {printf "writes_fast=%s ", $2}
      /^switchboard_ingest_write_seconds_count / {printf "writes_all=%s ", $2}')" <<'PY'
import json, os, re, sys
minute, rss, outbox, delivered, read_p99, agent_errors, path, table, disk, cpu_ms, log, memory = sys.argv[1:]
# The gateway's slow-disk warnings of this minute (flushes of 100 ms or more, checkpoints of 250 ms, the
# writer's own checkpoints of 50 ms, ingest groups written in 50 ms or more): read from where the last
# minute stopped.
mark = log + ".read"
offset = int(open(mark).read()) if os.path.exists(mark) else 0
with open(log, "rb") as f:
    f.seek(offset)
    lines = f.read().decode(errors="replace").splitlines()
    open(mark, "w").write(str(f.tell()))
def slow(kind):
    return [int(m.group(1)) for line in lines if kind in line for m in [re.search(r"took_ms[=:\" ]+(\d+)", line)] if m]
def summary(took):
    return f"{len(took)} slow, max {max(took)} ms" if took else "none slow"
flushes = slow("flushing committed")
run = json.load(open(path))
p99 = run["latency_ms"]["p99"]
dirty, writeback, db, wal = disk.split()
cpu_ms, wrote = cpu_ms.split(":")
# The allocator's in-use and free bytes and SQLite's (an older gateway reports only SQLite's).
gauges = dict(kv.split("=") for kv in memory.split())
mb = {k.removeprefix("switchboard_").removesuffix("_bytes"): float(v) / 1048576 for k, v in gauges.items() if k.endswith("_bytes")}
# Group writes (the writer's transactions) of 25 ms or more in this minute, from the histogram: each
# held up every request queued behind it (the log names those of 50 ms or more).
# An older gateway exports no such histogram: "?".
slow_writes = "?"
if "writes_all" in gauges and "writes_fast" in gauges:
    over = float(gauges["writes_all"]) - float(gauges["writes_fast"])
    before = float(open(log + ".writes").read()) if os.path.exists(log + ".writes") else 0.0
    open(log + ".writes", "w").write(str(over))
    slow_writes = int(over - before)
logged = slow("writing an ingest group")
long_writes = f"of 50 ms or more {len(logged)}" + (f", longest {max(logged)} ms" if logged else "")
parts = ([f"malloc {mb['malloc_in_use']:.1f} in use, {mb['malloc_free']:.1f} free"] if "malloc_in_use" in mb else []) + \
    ([f"SQLite {mb['sqlite_memory']:.1f}"] if "sqlite_memory" in mb else [])
held = f" ({'; '.join(parts)})" if parts else ""
print(f"minute {int(minute):>2}: rss {int(rss) / 1024:7.1f} MB{held}  ingest p99 {p99:7.2f} ms max {run['latency_ms']['max']:7.1f} ms "
      f"({run['ok']:,}/{run['sent']:,} 2xx, {run['throughput']:,.0f} msg/s)  replies delivered {int(delivered):>4}  outbox {int(outbox):>4}  "
      f"agents' reads p99 {float(read_p99):6.1f} ms, errors {agent_errors}  "
      f"(gateway CPU {int(cpu_ms) / max(run['ok'], 1):.3f} ms/msg, wrote {int(wrote) / 1024 / max(run['ok'], 1):.1f} KB/msg; most dirty {dirty} MB, writeback {writeback} MB; "
      f"file {db} MB, WAL {wal} MB; flushes {summary(flushes)}, group writes of 25 ms or more {slow_writes} ({long_writes}), checkpoints {summary(slow('checkpoint was slow'))})", flush=True)
with open(table, "a") as f:
    f.write(f"{minute}\t{rss}\t{p99}\t{run['ok']}\t{run['sent']}\t{max(flushes, default=0)}\n")
PY
  delivered_before=$delivered
done

python3 - "$work/minutes.tsv" <<'PY'
import sys
rows = [line.split("\t") for line in open(sys.argv[1]).read().splitlines()]
rss = [int(r[1]) / 1024 for r in rows]
p99 = [float(r[2]) for r in rows]
failed = sum(int(r[4]) - int(r[3]) for r in rows)
if len(rows) < 3:
    print(f"verdict: none (needs 3 minutes or more: minute 2 is the reference after warm-up); {failed} ingest failures")
    sys.exit(0)
rss_ok = all(abs(m - rss[1]) <= 0.10 * rss[1] for m in rss[2:])
p99_ok = all(m <= max(1.5 * p99[1], p99[1] + 2.0) for m in p99[2:])
print(f"verdict: {'PASS' if rss_ok and p99_ok and failed == 0 else 'FAIL'} — "
      f"RSS {min(rss[2:]):.1f}–{max(rss[2:]):.1f} MB after minute 2's {rss[1]:.1f} MB ({'within' if rss_ok else 'outside'} ±10 %), "
      f"ingest p99 {min(p99[2:]):.2f}–{max(p99[2:]):.2f} ms after minute 2's {p99[1]:.2f} ms ({'flat' if p99_ok else 'not flat'}), "
      f"{failed} ingest failures")
# A minute over the bound in which a flush took 100 ms or more waited for the disk (see README, "The
# stalls found"); the others are the gateway's own.
over = [(int(r[0]), float(r[2]), int(r[5])) for r in rows[2:] if float(r[2]) > max(1.5 * p99[1], p99[1] + 2.0)]
if over:
    disk = [f"{m} (flush {f} ms)" for m, _, f in over if f >= 100]
    other = [str(m) for m, _, f in over if f < 100]
    print(f"  minutes over the p99 bound: with a slow disk flush {', '.join(disk) or 'none'}; without one {', '.join(other) or 'none'}")
PY
