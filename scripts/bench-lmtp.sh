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
work=$(mktemp -d /tmp/sb-bench-lmtp.XXXXXX)
python3 ../shared/peers/gen_emails.py 5000 "$work/mail" --seed 42 > /dev/null
export SB_TOKEN_ANA=${SB_TOKEN_ANA:-ana-dev-token-change-me-0123456789} SB_TOKEN_LUIS=${SB_TOKEN_LUIS:-luis-dev-token-change-me-0123456789}
export SB_TOKEN_MARTA=${SB_TOKEN_MARTA:-marta-dev-token-change-me-0123456789} SHOP_CHAT_SECRET=${SHOP_CHAT_SECRET:-dev-secret}
export SWITCHBOARD_MAIL_SECRET=${SWITCHBOARD_MAIL_SECRET:-dev-mail-secret}
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# Ingestion only: no acknowledgements, so the figure is the peers' (they parse and store).
sed -e "s#data/switchboard.sqlite#$work/bench.sqlite#" -e "s#acknowledge: true#acknowledge: false#" Config/switchboard.yaml > "$work/bench.yaml"
cat >> "$work/bench.yaml" <<YAML
  - id: support-mail
    type: email
    team: support
    address: support@helpdesk.example
    smtp: { url: "smtp://127.0.0.1:2525" }
    secret_env: SWITCHBOARD_MAIL_SECRET
    lmtp: { listen: "127.0.0.1:$port", max_connections: 256 }
YAML
"$BIN" serve --config "$work/bench.yaml" --port 0 > "$work/stdout" 2> "$work/stderr" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do grep -q "listening on" "$work/stdout" 2>/dev/null && break; sleep 0.1; done
grep -q "listening on" "$work/stdout" || { cat "$work/stderr"; exit 1; }

echo "== e-mail over LMTP: $MESSAGES messages (gen_emails.py, cycled with fresh Message-IDs), $CONNECTIONS connections"
cpu() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
before=$(cpu)
TIMEFORMAT='%U %S'
exec 3>&1 4>&2
generator=$( { time "$BIN" bench --url "lmtp://127.0.0.1:$port" --format lmtp --adapter support-mail --recipient support@helpdesk.example \
  --mail-dir "$work/mail" --messages "$MESSAGES" --warmup 1000 --connections "$CONNECTIONS" >&3 2>&4; } 2>&1 )
after=$(cpu)
python3 -c "
n = $MESSAGES + 1000; hz = $(getconf CLK_TCK); user, system = '$generator'.split()
print(f'  cpu          gateway {($after - $before) / hz * 1000 / n:.3f} ms/msg, generator {(float(user) + float(system)) * 1000 / n:.3f} ms/msg')"
