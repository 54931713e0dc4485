#!/usr/bin/env bash
# E-mail ingestion on the mail shared/peers/gen_emails.py makes (the peers' workload): a release
# gateway on a fresh SQLite file with an `email` adapter, measured (1) over HTTP keep-alive with
# `switchboard bench --format email` and (2) through `switchboard mailgate`, one process per message
# as an MTA runs it (8 in parallel). Every 2xx is a committed message (synchronous=FULL).
# Usage: scripts/bench-email.sh [MESSAGES] [MAILGATE_MESSAGES]
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${SWITCHBOARD_BIN:-.build/release/switchboard}
MESSAGES=${1:-20000}
MAILGATE=${2:-2000}
. scripts/lib.sh
work=$(mktemp -d /tmp/sb-bench-mail.XXXXXX)
mail_bench_config "$work"
start_gateway "$work"

echo "== e-mail over HTTP keep-alive: $MESSAGES messages (gen_emails.py, cycled with fresh Message-IDs), 32 connections"
measure_cpu $((MESSAGES + 1000)) "$BIN" bench --url "$url" --adapter support-mail --format email --mail-dir "$work/mail" \
  --secret-env SWITCHBOARD_MAIL_SECRET --messages "$MESSAGES" --warmup 1000 --connections 32
[ "$MAILGATE" -gt 0 ] || exit 0
echo "== e-mail through mailgate: $MAILGATE messages, one process each, 8 in parallel"
start=$(date +%s.%N)
# (head closes the pipe early: no pipefail here)
(set +o pipefail; ls "$work/mail"/*.eml | head -n "$MAILGATE" | \
  xargs -P 8 -n 1 sh -c '"$0" mailgate --url "$1" --adapter support-mail < "$2" || echo "mailgate failed: $2" >&2' "$BIN" "$url")
end=$(date +%s.%N)
python3 -c "n=$MAILGATE; t=$end-$start; print(f'{n} messages in {t:.2f} s: {n/t:.0f} messages/s')"
