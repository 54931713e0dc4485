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
work=$(mktemp -d /tmp/sb-bench-mail.XXXXXX)
python3 ../shared/peers/gen_emails.py 5000 "$work/mail" --seed 42 > /dev/null
export SB_TOKEN_ANA=${SB_TOKEN_ANA:-ana-dev-token-change-me-0123456789} SB_TOKEN_LUIS=${SB_TOKEN_LUIS:-luis-dev-token-change-me-0123456789}
export SB_TOKEN_MARTA=${SB_TOKEN_MARTA:-marta-dev-token-change-me-0123456789} SHOP_CHAT_SECRET=${SHOP_CHAT_SECRET:-dev-secret}
# The mail hook's secret: bench and mailgate sign every message with it, as an MTA's mailgate does.
export SWITCHBOARD_MAIL_SECRET=${SWITCHBOARD_MAIL_SECRET:-dev-mail-secret}
# Ingestion only: no acknowledgements, so the figure is the peers' (they parse and store).
sed -e "s#data/switchboard.sqlite#$work/bench.sqlite#" -e "s#acknowledge: true#acknowledge: false#" Config/switchboard.yaml > "$work/bench.yaml"
cat >> "$work/bench.yaml" <<'YAML'
  - id: support-mail
    type: email
    team: support
    address: support@helpdesk.example
    smtp: { url: "smtp://127.0.0.1:2525" }
    secret_env: SWITCHBOARD_MAIL_SECRET
YAML
"$BIN" serve --config "$work/bench.yaml" --port 0 > "$work/stdout" 2> "$work/stderr" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do grep -q "listening on" "$work/stdout" 2>/dev/null && break; sleep 0.1; done
url=$(sed -n 's/^switchboard listening on //p' "$work/stdout")
[ -n "$url" ] || { cat "$work/stderr"; exit 1; }

echo "== e-mail over HTTP keep-alive: $MESSAGES messages (gen_emails.py, cycled with fresh Message-IDs), 32 connections"
# CPU per message (gateway and generator, warm-up included) is printed too: on a machine shared with
# other work it is steadier than the throughput, which only holds on a quiet machine.
cpu() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
before=$(cpu)
TIMEFORMAT='%U %S'
exec 3>&1 4>&2
generator=$( { time "$BIN" bench --url "$url" --adapter support-mail --format email --mail-dir "$work/mail" --secret-env SWITCHBOARD_MAIL_SECRET \
  --messages "$MESSAGES" --warmup 1000 --connections 32 >&3 2>&4; } 2>&1 )
after=$(cpu)
python3 -c "
n = $MESSAGES + 1000; hz = $(getconf CLK_TCK); user, system = '$generator'.split()
print(f'  cpu          gateway {($after - $before) / hz * 1000 / n:.3f} ms/msg, generator {(float(user) + float(system)) * 1000 / n:.3f} ms/msg')"
[ "$MAILGATE" -gt 0 ] || exit 0
echo "== e-mail through mailgate: $MAILGATE messages, one process each, 8 in parallel"
start=$(date +%s.%N)
# (head closes the pipe early: no pipefail here)
(set +o pipefail; ls "$work/mail"/*.eml | head -n "$MAILGATE" | \
  xargs -P 8 -n 1 sh -c '"$0" mailgate --url "$1" --adapter support-mail < "$2" || echo "mailgate failed: $2" >&2' "$BIN" "$url")
end=$(date +%s.%N)
python3 -c "n=$MAILGATE; t=$end-$start; print(f'{n} messages in {t:.2f} s: {n/t:.0f} messages/s')"
