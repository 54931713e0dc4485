#!/usr/bin/env bash
# The views whose cost must not grow with history, timed over HTTP against a running gateway on a
# database from `switchboard generate-history` (scripts/bench-search.sh starts one and calls this):
# the inbox of agent a20 (--busy-agent), customer search, pages of the long thread (--long-thread,
# conversation 1) and its customer card.
# Usage: scripts/bench-views.sh URL [SQLITE_DB]   (SQLITE_DB only to count a20's open conversations)
# REQUESTS (200): timed requests per view. Tokens: scripts/lib.sh's bench tokens (history_config).
set -euo pipefail
cd "$(dirname "$0")/.."
url=$1
db=${2:-}
REQUESTS=${REQUESTS:-200}
. scripts/lib.sh
bench_tokens
echo "== the history views over HTTP (one keep-alive client, $REQUESTS timed requests each)"
latency() { python3 scripts/bench-http-latency.py "$url" "$@"; }
# Customer 1 and conversation 1 hold the long thread (the generator writes it first).
ids=$(curl -s -H "Authorization: Bearer $SB_TOKEN_MARTA" "$url/api/v1/conversations/1" |
  python3 -c 'import json,sys; m=[x["id"] for x in json.load(sys.stdin)["messages"]]; print(len(m), m[len(m)//2], m[len(m)//10])')
read -r thread_length middle early <<< "$ids"
open_a20="?"
if [ -n "$db" ] && command -v sqlite3 > /dev/null; then
  open_a20=$(sqlite3 "$db" "SELECT count(*) FROM conversations WHERE assignee = 'a20' AND status = 'open'")
fi
echo "   (long thread: conversation 1, $thread_length messages; agent a20: $open_a20 open conversations assigned)"
latency "$SB_TOKEN_A20" "$REQUESTS" "inbox, a20, console (open, mine, 100)" "/api/v1/inbox?status=open&scope=mine"
latency "$SB_TOKEN_A20" "$REQUESTS" "inbox, a20, API (open, 100)" "/api/v1/conversations?status=open"
latency "$SB_TOKEN_MARTA" "$REQUESTS" "inbox, supervisor, everyone (open, 100)" "/api/v1/inbox?status=open&scope=everyone"
customer_queries=("/api/v1/customers?q=Garc%C3%ADa" "/api/v1/customers?q=Luc%C3%ADa%20Garc%C3%ADa" "/api/v1/customers?q=%2B34610"
  "/api/v1/customers?q=chat-12345" "/api/v1/customers?q=maria.lopez")
latency "$SB_TOKEN_MARTA" "$REQUESTS" "customer search, supervisor (5 queries)" "${customer_queries[@]}"
latency "$SB_TOKEN_A20" "$REQUESTS" "customer search, agent a20 (5 queries)" "${customer_queries[@]}"
latency "$SB_TOKEN_MARTA" "$REQUESTS" "long thread, newest page (50)" "/api/v1/conversations/1?limit=50"
latency "$SB_TOKEN_MARTA" "$REQUESTS" "long thread, older pages (50, middle/early)" \
  "/api/v1/conversations/1?limit=50&before=$middle" "/api/v1/conversations/1?limit=50&before=$early"
latency "$SB_TOKEN_MARTA" "$REQUESTS" "customer card of the long thread" "/api/v1/customers/1"
