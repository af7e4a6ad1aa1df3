#!/usr/bin/env bash
# GET /api/v1/cohort-assignment?mode=optimal end to end over real HTTP on loopback, as the
# program admin: `demo-data` loads a program of N sponsors and M seekers (each with a
# consent in force and no match, so all M are waiting), the release binary serves it,
# and curl times the plan (time_total) `repeats` times. Then the review queue's first
# page (GET /api/v1/review-queue, 50 of the M waiting seekers) the same way, and a
# sponsor's page of requests (GET /api/v1/sponsors/me/requests?limit=50), for which
# BENCH_REQUESTS (default 50) more seekers, each with a consent, are created over the
# API and proposed to one demo sponsor before anything is timed (they have a match
# under way, so they are not waiting and the plan and the queue see the same M).
# On the embedded SQLite default, or on PostgreSQL when BENCH_DATABASE_URL is set (a
# database is created and dropped).
#
#   scripts/bench-cohort.sh [sponsors] [seekers] [repeats]
#
# BENCH_BINARY: the binary to serve with instead of building target/release; several,
# separated by ':', are served in turn on the same data (loaded once, by the first),
# e.g. BENCH_BINARY=base/sponsor-match:new/sponsor-match:base/sponsor-match:new/sponsor-match
# for before/after figures from one run. The databases' migrations must be the same.
set -euo pipefail
cd "$(dirname "$0")/.."
sponsors=${1:-50000}
seekers=${2:-10000}
repeats=${3:-3}
port=18481

binaries=()
if [ -n "${BENCH_BINARY:-}" ]; then
  IFS=: read -ra given <<<"$BENCH_BINARY"
  for b in "${given[@]}"; do binaries+=("$(realpath "$b")"); done
else
  cargo build --release --quiet
  binaries=("$PWD/target/release/sponsor-match")
fi
work=$(mktemp -d)
server=
trap 'cd /; [ -n "$server" ] && kill $server 2>/dev/null; rm -rf "$work"; [ -n "${db:-}" ] && psql "$BENCH_DATABASE_URL" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null' EXIT
cd "$work"
export APP__LOG__FILTER=warn APP__SERVER__PORT=$port
backend=sqlite
if [ -n "${BENCH_DATABASE_URL:-}" ]; then
  backend=postgresql
  db="sm_cohort_$(date +%s)"
  psql "$BENCH_DATABASE_URL" -qc "CREATE DATABASE $db" >/dev/null
  export APP__DATABASE__URL="${BENCH_DATABASE_URL%/*}/$db"
  export APP__SECRETS__TOKEN_SIGNING_KEY=bench APP__SECRETS__API_KEY_PEPPER=bench
fi
echo "bench: loading $sponsors sponsors and $seekers seekers ($backend) with ${binaries[0]}"
start=$(date +%s.%N)
created=$("${binaries[0]}" demo-data --sponsors "$sponsors" --seekers "$seekers" 2>/dev/null)
echo "bench: loaded in $(echo "$(date +%s.%N) - $start" | bc) s"
email=$(echo "$created" | awk '/program admin/ {print $3}')
password=$(echo "$created" | awk '/program admin/ {print $5}')

requests=${BENCH_REQUESTS:-50}
sponsor_token=
api() { curl -sf "localhost:$port/api/v1/$1" -H "authorization: Bearer $token" "${@:2}"; }
# Seekers that all fit the same sponsors, each proposed to the first one's best candidate.
ask_one_sponsor() {
  local now expires seeker sponsor=
  now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  expires=$(date -u -d '+180 days' +%Y-%m-%dT%H:%M:%SZ)
  for _ in $(seq 1 "$requests"); do
    seeker=$(api seekers -H 'content-type: application/json' -d '{"alias": "Jo",
      "fellowships": ["aa"], "gender": "woman", "languages": ["en"],
      "time_zone": "America/Chicago", "availability": {"tue": [19, 20], "sat": [9, 10, 11]},
      "meeting": {"video": true, "phone": true}, "contact": {"email": "jo@example.org"}}' | jq -r .id)
    api "seekers/$seeker/consents" -H 'content-type: application/json' -d "{
      \"discloser\": \"Demo Program\", \"recipient_class\": \"candidate_sponsors\",
      \"information\": [\"alias\", \"fellowships\", \"needs\"],
      \"purpose\": \"To find a peer sponsor in recovery\", \"signed_by\": \"Jo\",
      \"signed_at\": \"$now\", \"expires_at\": \"$expires\",
      \"revocation_instructions\": \"Tell your case manager.\"}" >/dev/null
    [ -n "$sponsor" ] || sponsor=$(api "seekers/$seeker/candidates?limit=1" | jq -r '.candidates[0].sponsor_id')
    api "seekers/$seeker/matches" -H 'content-type: application/json' \
      -d "{\"sponsor_id\": \"$sponsor\"}" >/dev/null
  done
  sponsor_email=$(api "users/$sponsor" | jq -r .email)
}

for binary in "${binaries[@]}"; do
  start=$(date +%s.%N)
  "$binary" serve >server.log 2>&1 &
  server=$!
  for _ in $(seq 1 600); do curl -sf "localhost:$port/readyz" >/dev/null && break; sleep 0.5; done
  echo "== $binary (ready in $(echo "$(date +%s.%N) - $start" | bc | cut -c1-5) s)"
  token=$(curl -sf "localhost:$port/api/v1/auth/login" -H 'content-type: application/json' \
    -d "{\"email\":\"$email\",\"password\":\"$password\"}" | sed 's/.*"token":"\([^"]*\)".*/\1/')
  if [ "$requests" -gt 0 ] && [ -z "$sponsor_token" ]; then
    ask_one_sponsor
    sponsor_token=set
    echo "bench: $requests seekers proposed to $sponsor_email"
  fi
  for i in $(seq 1 "$repeats"); do
    out=$(curl -s -o plan.json -w '%{http_code} %{time_total} %{size_download}' \
      "localhost:$port/api/v1/cohort-assignment?mode=optimal" -H "authorization: Bearer $token")
    read -r code seconds size <<<"$out"
    if [ "$code" != 200 ]; then
      echo "plan $i: HTTP $code in $seconds s: $(head -c 500 plan.json)"
      tail -n 20 server.log
      continue
    fi
    summary=$(jq -r '"seekers_waiting \(.seekers_waiting), pairs_weighed \(.pairs_weighed), pairs \(.pairs | length), unplaced \(.unplaced | length), total \(.total)"' plan.json)
    echo "plan $i: ${seconds} s, $size bytes; $summary"
  done
  [ "$(jq .seekers_waiting plan.json 2>/dev/null)" = "$seekers" ] \
    || echo "bench: WARNING: $seekers seekers loaded but the plan saw $(jq .seekers_waiting plan.json 2>/dev/null) waiting"
  for i in $(seq 1 "$repeats"); do
    out=$(curl -s -o queue.json -w '%{http_code} %{time_total}' \
      "localhost:$port/api/v1/review-queue" -H "authorization: Bearer $token")
    read -r code seconds <<<"$out"
    echo "review queue $i: HTTP $code, ${seconds} s; $(jq -r '"total \(.total), items \(.items | length)"' queue.json 2>/dev/null)"
  done
  if [ "$requests" -gt 0 ]; then
    sponsor_token=$(curl -sf "localhost:$port/api/v1/auth/login" -H 'content-type: application/json' \
      -d "{\"email\":\"$sponsor_email\",\"password\":\"$password\"}" | sed 's/.*"token":"\([^"]*\)".*/\1/')
    for i in $(seq 1 "$repeats"); do
      out=$(curl -s -o requests.json -w '%{http_code} %{time_total}' \
        "localhost:$port/api/v1/sponsors/me/requests?limit=$requests" -H "authorization: Bearer $sponsor_token")
      read -r code seconds <<<"$out"
      echo "sponsor's requests $i: HTTP $code, ${seconds} s; $(jq -r '"items \(.items | length)"' requests.json 2>/dev/null)"
    done
  fi
  echo "server peak RSS: $(awk '/VmHWM/ {print $2, $3}' /proc/$server/status)"
  kill $server
  wait $server 2>/dev/null || true
  server=
done
