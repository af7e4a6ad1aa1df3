#!/usr/bin/env bash
# Match transitions per second on PostgreSQL under concurrent load, over real HTTP with
# authentication, audit events and outbox rows as in production: wrk against the
# release binary. Two phases, each request one write transaction:
#   1. propose the best candidate for each seeker (two transitions: propose, submit;
#      plus the disclosure log and the sponsor's request email in the outbox);
#   2. veto each of those matches (one transition, and its queued email cancelled).
# Needs BENCH_DATABASE_URL (a PostgreSQL server; a database is created and dropped).
#
#   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test scripts/bench-lifecycle.sh [seekers] [seconds] [connections]
set -euo pipefail
cd "$(dirname "$0")/.."
seekers=${1:-20000}
seconds=${2:-10}
connections=${3:-32}
port=18481
: "${BENCH_DATABASE_URL:?set BENCH_DATABASE_URL to a PostgreSQL URL}"

command -v wrk >/dev/null || { apt-get install -y -qq wrk >/dev/null; }
cargo build --release --quiet
binary=$PWD/target/release/sponsor-match
work=$(mktemp -d)
db="sm_lifecycle_$(date +%s)"
trap 'kill $server 2>/dev/null || true; cd /; rm -rf "$work"; psql "$BENCH_DATABASE_URL" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null' EXIT
cd "$work"
psql "$BENCH_DATABASE_URL" -qc "CREATE DATABASE $db" >/dev/null
export APP__DATABASE__URL="${BENCH_DATABASE_URL%/*}/$db"
export APP__SECRETS__TOKEN_SIGNING_KEY=bench APP__SECRETS__API_KEY_PEPPER=bench
export APP__LOG__FILTER=warn APP__SERVER__PORT=$port APP__DATABASE__POOL_SIZE=16
# Deliveries would compete for the same two cores; this measures the transitions.
export APP__OUTBOX__DELIVER_IN_SERVE=false
echo "bench: loading $seekers seekers and $((seekers / 4)) sponsors"
created=$("$binary" demo-data --sponsors $((seekers / 4)) --seekers "$seekers" 2>/dev/null)
email=$(echo "$created" | awk '/program admin/ {print $3}')
password=$(echo "$created" | awk '/program admin/ {print $5}')
"$binary" serve >server.log 2>&1 &
server=$!
for _ in $(seq 1 120); do curl -sf "localhost:$port/readyz" >/dev/null && break; sleep 0.5; done
token=$(curl -sf "localhost:$port/api/v1/auth/login" -H 'content-type: application/json' \
  -d "{\"email\":\"$email\",\"password\":\"$password\"}" | sed 's/.*"token":"\([^"]*\)".*/\1/')
sql() { psql "$APP__DATABASE__URL" -qAtc "$1"; }

# Each wrk thread takes every other id, so no id is used twice.
script() { # $1 ids file, $2 path prefix, $3 path suffix, $4 body
  cat <<LUA
local ids = {}
for line in io.lines("$1") do ids[#ids + 1] = line end
local threads = {}
function setup(thread) thread:set("offset", #threads) table.insert(threads, thread) end
local n = 0
request = function()
  local i = offset + 1 + n * 2
  n = n + 1
  if i > #ids then i = #ids end
  return wrk.format("POST", "$2" .. ids[i] .. "$3",
    { ["Authorization"] = "Bearer $token", ["Content-Type"] = "application/json" }, '$4')
end
LUA
}
run() { # $1 label, $2 lua, $3 seconds; sets $elapsed to the seconds wrk ran
  echo "$2" >phase.lua
  wrk -t2 -c"$connections" -d"${3}s" --latency -s phase.lua "http://127.0.0.1:$port" >phase.out
  grep -E "Requests/sec|Latency|50%|99%|Non-2xx|requests in" phase.out | sed "s/^/$1: /"
  elapsed=$(sed -n 's/.* requests in \([0-9.]*\)s.*/\1/p' phase.out)
}
rate() { awk -v n="$1" -v t="$2" 'BEGIN { printf "%.0f", n / t }'; }

sql "SELECT id FROM seekers ORDER BY id" >seekers.txt
echo "bench: $(nproc) cores, PostgreSQL, wrk -t2 -c$connections -d${seconds}s per phase"
run "propose" "$(script seekers.txt /api/v1/seekers/ /matches '{}')" "$seconds"
proposed=$(sql "SELECT count(*) FROM matches")
transitions=$(sql "SELECT count(*) FROM match_transitions")
echo "propose: $proposed matches proposed, $transitions transitions recorded in ${elapsed}s = $(rate "$transitions" "$elapsed") transitions/s"
sql "SELECT id FROM matches WHERE state = 'awaiting_sponsor' ORDER BY id" >matches.txt
before=$transitions
# Shorter: each match can be vetoed once, and vetoes go faster than proposals.
run "veto" "$(script matches.txt /api/v1/matches/ /veto '{"reason":"other"}')" $((seconds / 4))
after=$(sql "SELECT count(*) FROM match_transitions")
vetoed=$((after - before))
[ "$vetoed" -lt "$(wc -l <matches.txt)" ] || echo "veto: ran out of matches; the rate is a lower bound"
echo "veto: $vetoed transitions recorded in ${elapsed}s = $(rate "$vetoed" "$elapsed") transitions/s"
