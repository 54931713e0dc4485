# Pieces the benchmark scripts share; source it from the repository's root (`. scripts/lib.sh`)
# after setting BIN (the switchboard binary to serve).

# The example configuration's tokens and secrets: development values unless the environment sets them.
export SB_TOKEN_ANA=${SB_TOKEN_ANA:-ana-dev-token-change-me-0123456789} SB_TOKEN_LUIS=${SB_TOKEN_LUIS:-luis-dev-token-change-me-0123456789}
export SB_TOKEN_MARTA=${SB_TOKEN_MARTA:-marta-dev-token-change-me-0123456789} SHOP_CHAT_SECRET=${SHOP_CHAT_SECRET:-dev-secret}
# The mail hook's secret: bench and mailgate sign every message with it, as an MTA's mailgate does.
export SWITCHBOARD_MAIL_SECRET=${SWITCHBOARD_MAIL_SECRET:-dev-mail-secret}

# add_open_webhook CONFIG: appends `bench-open` to CONFIG's adapters (its last section), an unsigned twin
# of the example's generic webhook (same mapping, `open: true`) for wrk, which cannot sign.
add_open_webhook() {
  cat >> "$1" <<'YAML'
  - id: bench-open
    type: webhook
    team: support
    open: true
    inbound: { message_id: /id, customer: /from, customer_name: /name, text: /text }
    outbound: { url: "http://127.0.0.1:9/send" }
YAML
}

# A free TCP port on loopback.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# mail_bench_config WORK [ADAPTER_LINE]: the mail of shared/peers/gen_emails.py (the peers' workload) in
# WORK/mail, and WORK/bench.yaml: the example configuration on WORK/bench.sqlite with an `email`
# adapter `support-mail` (ADAPTER_LINE, e.g. an `lmtp:` listener, added to it). Acknowledgements are
# off: ingestion only, so the figure is the peers' (they parse and store).
mail_bench_config() {
  python3 ../shared/peers/gen_emails.py 5000 "$1/mail" --seed 42 > /dev/null
  sed -e "s#data/switchboard.sqlite#$1/bench.sqlite#" -e "s#acknowledge: true#acknowledge: false#" Config/switchboard.yaml > "$1/bench.yaml"
  cat >> "$1/bench.yaml" <<'YAML'
  - id: support-mail
    type: email
    team: support
    address: support@helpdesk.example
    smtp: { url: "smtp://127.0.0.1:2525" }
    secret_env: SWITCHBOARD_MAIL_SECRET
YAML
  [ -z "${2:-}" ] || echo "    $2" >> "$1/bench.yaml"
}

# apply_setup_sql WORK: when SETUP_SQL is set, migrates WORK/bench.sqlite (WORK/bench.yaml's) and runs
# that SQL on it before the gateway starts — to measure the same build without a part of its schema
# (scripts/bench-compare.sh drops what came after a given build; a soak can drop the search index).
apply_setup_sql() {
  [ -n "${SETUP_SQL:-}" ] || return 0
  "$BIN" migrate --config "$1/bench.yaml" > /dev/null
  sqlite3 "$1/bench.sqlite" "$SETUP_SQL"
}

# start_gateway WORK: serves WORK/bench.yaml in the background (on PORT, else a free port), waits until
# it listens, and sets `pid` and `url`; on exit the gateway (and the processes ALSO_STOP names) are
# stopped and WORK removed.
start_gateway() {
  "$BIN" serve --config "$1/bench.yaml" --port "${PORT:-0}" > "$1/stdout" 2> "$1/stderr" &
  pid=$!
  trap "kill $pid ${ALSO_STOP:-} 2>/dev/null; wait $pid 2>/dev/null; rm -rf '$1'" EXIT
  for _ in $(seq 1 100); do grep -q "listening on" "$1/stdout" 2>/dev/null && break; sleep 0.1; done
  url=$(sed -n 's/^switchboard listening on //p' "$1/stdout")
  [ -n "$url" ] || { cat "$1/stderr"; exit 1; }
}

# The gateway's CPU time so far (user + system), in clock ticks.
gateway_cpu() { awk '{print $14 + $15}' "/proc/$pid/stat"; }

# measure_cpu N COMMAND...: runs the load generator COMMAND (its output passes through), then prints
# the CPU per message of the gateway and of the generator over its N messages (warm-up included): on
# a machine shared with other work it is steadier than the throughput, which only holds on a quiet one.
measure_cpu() {
  local n=$1 before after generator TIMEFORMAT='%U %S'
  shift
  before=$(gateway_cpu)
  exec 3>&1 4>&2
  generator=$( { time "$@" >&3 2>&4; } 2>&1 )
  after=$(gateway_cpu)
  python3 -c "
n = $n; hz = $(getconf CLK_TCK); user, system = '$generator'.split()
print(f'  cpu          gateway {($after - $before) / hz * 1000 / n:.3f} ms/msg, generator {(float(user) + float(system)) * 1000 / n:.3f} ms/msg')"
}

# history_config FILE STORAGE_LINE: the configuration generate-history's databases are made and served
# with (20 agents a01..a20 and supervisors marta and sara, webhook adapters chat, mail and sms signed with
# HOOK_SECRET), on STORAGE_LINE (e.g. `storage: { sqlite: "/tmp/h.sqlite" }`).
# bench_tokens: the agents' tokens of that configuration, exported.
bench_tokens() {
  export SB_TOKEN_MARTA=${SB_TOKEN_MARTA:-marta-bench-token-0123456789abcdef0123}
  export SB_TOKEN_SARA=sara-bench-token-0123456789abcdef012345
  for i in $(seq -w 1 20); do export "SB_TOKEN_A$i=a$i-bench-token-0123456789abcdef012345"; done
}
history_config() {
  bench_tokens
  export HOOK_SECRET=${HOOK_SECRET:-bench-secret}
  {
    echo "server: { host: 127.0.0.1, port: 8080 }"
    echo "$2"
    echo "routing: { first_response: 24h, acknowledge: false }"
    echo "agents:"
    echo "  - { id: marta, name: \"Marta Ruiz\", role: supervisor, teams: [support], token_env: SB_TOKEN_MARTA }"
    echo "  - { id: sara, name: \"Sara Gil\", role: supervisor, teams: [support], token_env: SB_TOKEN_SARA }"
    for i in $(seq -w 1 20); do
      echo "  - { id: a$i, name: \"Agent $i\", role: agent, teams: [support], capacity: 40, token_env: SB_TOKEN_A$i }"
    done
    echo "adapters:"
    for a in chat mail sms; do
      echo "  - { id: $a, type: webhook, team: support, secret_env: HOOK_SECRET, inbound: { message_id: /id, customer: /from, text: /text }, outbound: { url: \"http://127.0.0.1:9/send\" } }"
    done
  } > "$1"
}
