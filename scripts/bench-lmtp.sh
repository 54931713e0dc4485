#!/usr/bin/env bash
# LMTP delivery of the mail shared/peers/gen_emails.py makes (the peers' workload): a release gateway
# on a fresh SQLite file with an `email` adapter whose `lmtp:` listener is on loopback, loaded by
# `switchboard bench --format lmtp` the way Postfix's lmtp client delivers (LHLO once per connection,
# MAIL + RCPT + DATA pipelined, the message after the 354, connections kept). Every 250 is a
# committed message (synchronous=FULL).
# Usage: scripts/bench-lmtp.sh [MESSAGES] [CONNECTIONS]
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${SWITCHBOARD_BIN:-.build/release/switchboard}
MESSAGES=${1:-20000}
CONNECTIONS=${2:-16}
. scripts/lib.sh
work=$(mktemp -d /tmp/sb-bench-lmtp.XXXXXX)
port=$(free_port)
mail_bench_config "$work" "lmtp: { listen: \"127.0.0.1:$port\", max_connections: 256 }"
start_gateway "$work"

echo "== e-mail over LMTP: $MESSAGES messages (gen_emails.py, cycled with fresh Message-IDs), $CONNECTIONS connections"
measure_cpu $((MESSAGES + 1000)) "$BIN" bench --url "lmtp://127.0.0.1:$port" --format lmtp --adapter support-mail \
  --recipient support@helpdesk.example --mail-dir "$work/mail" --messages "$MESSAGES" --warmup 1000 --connections "$CONNECTIONS"
