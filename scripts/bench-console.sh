#!/usr/bin/env bash
# The console's pages under load, over real HTTP on loopback, signed in as a sponsor as
# in production (the `sm_session` cookie, auditing on): wrk against the release binary
# serving a demo program of N sponsors (default 10,000) on the embedded SQLite default,
# or on PostgreSQL when BENCH_DATABASE_URL is set (a database is created and dropped).
#
#   scripts/bench-console.sh [sponsors] [seconds] [connections] [rounds]
#
# One more sponsor is invited and given a profile; BENCH_REQUESTS (default 30) seekers
# that fit them are proposed to them over the API, 3 of those become sponsees
# (introduced, so each has a check-in: check-ins are due on day 0 here) and 2 are
# declined; the rest wait. Each page is then measured in turn, `rounds` times (default
# 2), every other round in the reverse order. For each: its weight (bytes of HTML
# before compression), its <script> tags (the console has none), wrk's latency and
# requests/s, the server's own time (the `latency_ms` of its request log, p50/p95/p99)
# and the 1-minute load average before the run (the machine is shared).
#
# The pages as measured are kept in target/bench-console-last/. BENCH_PAGES (names,
# e.g. "requests sponsees") measures only those; BENCH_PERF=1 also samples the server
# with `perf record` during each run, into target/bench-console-last/<page>.perf.data.
#
# BENCH_BINARY: the binary to serve with instead of building target/release.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
sponsors=${1:-10000}
seconds=${2:-10}
connections=${3:-4}
rounds=${4:-2}
requests=${BENCH_REQUESTS:-30}
port=18482
threads=$((connections < 2 ? connections : 2))

command -v wrk >/dev/null || { apt-get install -y -qq wrk >/dev/null; }
if [ -n "${BENCH_BINARY:-}" ]; then
  binary=$(realpath "$BENCH_BINARY")
else
  cargo build --release --quiet
  binary="$PWD/target/release/sponsor-match"
fi
work=$(mktemp -d)
server=
trap 'cd /; [ -n "$server" ] && kill $server 2>/dev/null || true; rm -rf "$work"; [ -n "${db:-}" ] && psql "$BENCH_DATABASE_URL" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null' EXIT
cd "$work"
# The request log (one JSON line per request with its route and latency_ms) is the
# server's own measure; nothing else is logged below warn.
export APP__LOG__FILTER=warn,sponsor_match::api=info APP__LOG__FORMAT=json
export APP__SERVER__PORT=$port APP__EMAIL__PUBLIC_URL=http://127.0.0.1:$port
backend=sqlite
if [ -n "${BENCH_DATABASE_URL:-}" ]; then
  backend=postgresql
  db="sm_console_$(date +%s)"
  psql "$BENCH_DATABASE_URL" -qc "CREATE DATABASE $db" >/dev/null
  export APP__DATABASE__URL="${BENCH_DATABASE_URL%/*}/$db"
  export APP__SECRETS__TOKEN_SIGNING_KEY=bench APP__SECRETS__API_KEY_PEPPER=bench
fi
# Check-ins due at once after an introduction, and looked for every second.
mkdir -p config
cat >config/local.toml <<TOML
[check_ins]
days = [0]
[matching]
expiry_interval_ms = 1000
TOML

echo "bench: loading $sponsors sponsors ($backend)"
created=$("$binary" demo-data --sponsors "$sponsors" --seekers 200 2>/dev/null)
email=$(echo "$created" | awk '/program admin/ {print $3}')
password=$(echo "$created" | awk '/program admin/ {print $5}')
"$binary" serve >server.log 2>&1 &
server=$!
for _ in $(seq 1 600); do curl -sf "localhost:$port/readyz" >/dev/null && break; sleep 0.5; done

api() { curl -sf "localhost:$port/api/v1/$1" -H "authorization: Bearer $2" -H 'content-type: application/json' "${@:3}"; }
login() {
  curl -sf "localhost:$port/api/v1/auth/login" -H 'content-type: application/json' \
    -d "{\"email\":\"$1\",\"password\":\"$2\"}" | jq -r .token
}
admin=$(login "$email" "$password")
sponsor_email=bench-sponsor@example.org
sponsor_password="bench sponsor passphrase"
invite=$(api invites "$admin" -d "{\"email\": \"$sponsor_email\", \"display_name\": \"Sam Rivera\",
  \"role\": \"sponsor\"}" | jq -r .token)
curl -sf "localhost:$port/api/v1/invites/accept" -H 'content-type: application/json' \
  -d "{\"token\": \"$invite\", \"password\": \"$sponsor_password\"}" >/dev/null
sponsor=$(login "$sponsor_email" "$sponsor_password")
sponsor_id=$(api sponsors/me "$sponsor" -X PUT -d '{"alias": "Sam", "fellowships": ["aa"],
  "sobriety_date": "2015-03-01", "gender": "man", "languages": ["en", "es"],
  "time_zone": "America/Chicago",
  "availability": {"mon": [18, 19, 20], "thu": [18, 19, 20], "sat": [9, 10, 11]},
  "meeting": {"phone": true, "video": true}, "capacity": 5, "attributes": ["supports_mat"],
  "contact": {"email": "bench-sponsor@example.org", "phone": "+13125550100"}}' | jq -r .sponsor_id)

now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
expires=$(date -u -d '+180 days' +%Y-%m-%dT%H:%M:%SZ)
consent() { # seeker, recipient class, information
  api "seekers/$1/consents" "$admin" -d "{\"discloser\": \"Demo Program\",
    \"recipient_class\": \"$2\", \"information\": $3,
    \"purpose\": \"To find a peer sponsor in recovery\", \"signed_by\": \"Jo\",
    \"signed_at\": \"$now\", \"expires_at\": \"$expires\",
    \"revocation_instructions\": \"Tell your case manager.\"}" >/dev/null
}
matches=()
seekers=()
for i in $(seq 1 "$requests"); do
  seeker=$(api seekers "$admin" -d "{\"alias\": \"Jo $i\", \"fellowships\": [\"aa\"],
    \"gender\": \"man\", \"languages\": [\"en\"], \"time_zone\": \"America/Chicago\",
    \"availability\": {\"mon\": [19, 20], \"thu\": [19, 20]}, \"meeting\": {\"phone\": true},
    \"needs\": [\"supports_mat\"], \"contact\": {\"email\": \"jo$i@example.org\"}}" | jq -r .id)
  consent "$seeker" candidate_sponsors '["alias", "fellowships", "languages", "needs", "availability"]'
  matches+=("$(api "seekers/$seeker/matches" "$admin" -d "{\"sponsor_id\": \"$sponsor_id\"}" | jq -r .id)")
  seekers+=("$seeker")
done
for i in 0 1 2; do
  api "matches/${matches[$i]}/sponsor-accept" "$sponsor" -d '{"share_contact_details": true}' >/dev/null
  api "matches/${matches[$i]}/seeker-accept" "$admin" -d '{}' >/dev/null
  consent "${seekers[$i]}" matched_sponsor '["contact_details"]'
done
for i in 3 4; do
  api "matches/${matches[$i]}/sponsor-decline" "$sponsor" -d '{"reason": "schedule_conflict"}' >/dev/null
done
waiting=${matches[$((requests - 1))]}
cookie="Cookie: sm_session=$sponsor"
# The check-ins (one per introduced match, due at once) and the request emails.
for _ in $(seq 1 60); do
  curl -sf "localhost:$port/app/check-ins" -H "$cookie" | grep -q "/app/check-ins/" && break
  sleep 1
done
for _ in $(seq 1 60); do
  [ "$(grep -l "To: .*$sponsor_email" var/mail/*.eml 2>/dev/null | wc -l)" -ge "$requests" ] && break
  sleep 1
done
# A live link: one from a request still waiting (quoted-printable lines joined first).
respond=
for mail in $(grep -l "To: .*$sponsor_email" var/mail/*.eml); do
  for token in $(tr -d '\r' <"$mail" | sed ':a;/=$/{N;s/=\n//;ba}' | sed 's/=3D/=/g' \
    | grep -o '/respond/[A-Za-z0-9_-]*' | sed 's|/respond/||' | sort -u); do
    if curl -sf "localhost:$port/respond/$token" | grep -q 'method="post"'; then respond=$token; break 2; fi
  done
done
[ -n "$respond" ] || { echo "bench: no live request link in var/mail" >&2; exit 1; }

# page name, path, signed in (1) or not (0)
pages=(
  "sign-in /sign-in 0"
  "home /app 1"
  "account /app/account 1"
  "profile /app/profile 1"
  "requests /app/requests 1"
  "request /app/requests/$waiting 1"
  "sponsees /app/sponsees 1"
  "check-ins /app/check-ins 1"
  "respond /respond/$respond 0"
)
echo "bench: $requests requests to one sponsor (3 sponsees, 2 declined), $sponsors sponsors, $(nproc) cores, wrk -t$threads -c$connections -d${seconds}s"
printf '%-10s %6s %7s | %-26s %8s | %-22s %s\n' page bytes scripts \
  "wrk p50/p95/p99 ms" "req/s" "server p50/p95/p99 ms" load
for page in "${pages[@]}"; do
  read -r name path signed <<<"$page"
  headers=()
  [ "$signed" = 1 ] && headers=(-H "$cookie")
  code=$(curl -s -o "$name.html" -w '%{http_code}' "${headers[@]}" "localhost:$port$path")
  [ "$code" = 200 ] || { echo "bench: $path answered $code" >&2; exit 1; }
done
# wrk --latency prints no 95th percentile; its Lua summary has them all (microseconds).
cat >percentiles.lua <<'LUA'
done = function(summary, latency, requests)
  io.write(string.format("percentiles %.2f/%.2f/%.2f\n", latency:percentile(50) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000))
end
LUA
# The pages as measured, to look at afterwards.
rm -rf "$repo/target/bench-console-last" && mkdir -p "$repo/target/bench-console-last"
cp ./*.html "$repo/target/bench-console-last/"
for round in $(seq 1 "$rounds"); do
  order=("${pages[@]}")
  if [ $((round % 2)) = 0 ]; then
    order=()
    for ((i = ${#pages[@]} - 1; i >= 0; i--)); do order+=("${pages[$i]}"); done
  fi
  for page in "${order[@]}"; do
    read -r name path signed <<<"$page"
    [ -z "${BENCH_PAGES:-}" ] || [[ " $BENCH_PAGES " == *" $name "* ]] || continue
    [ -z "${BENCH_PERF:-}" ] || perf record -q -F 999 -p "$server" \
      -o "$repo/target/bench-console-last/$name.perf.data" -- sleep "$seconds" 2>/dev/null &
    headers=()
    [ "$signed" = 1 ] && headers=(-H "$cookie")
    bytes=$(wc -c <"$name.html")
    scripts=$(grep -oi '<script' "$name.html" | wc -l || true)
    load=$(cut -d' ' -f1 /proc/loadavg)
    logged=$(wc -l <server.log)
    wrk -t"$threads" -c"$connections" -d"${seconds}s" -s percentiles.lua "${headers[@]}" "http://127.0.0.1:$port$path" >wrk.txt
    grep -qE "Non-2xx|Socket errors" wrk.txt && { echo "bench: $path:"; cat wrk.txt; }
    wrk_ms=$(awk '/^percentiles/ {print $2}' wrk.txt)
    rps=$(awk '/Requests\/sec/ {print $2}' wrk.txt)
    server_ms=$(tail -n +"$((logged + 1))" server.log | grep '"request served"' \
      | jq -r .latency_ms | sort -n \
      | awk '{v[NR]=$1} END {printf "%d/%d/%d (n=%d)", v[int(NR*0.5)+1], v[int(NR*0.95)+1], v[int(NR*0.99)+1], NR}')
    printf '%-10s %6s %7s | %-26s %8s | %-22s %s\n' "$name" "$bytes" "$scripts" "$wrk_ms" "$rps" "$server_ms" "$load"
  done
done
echo "stylesheet: $(curl -s "localhost:$port$(grep -o '/assets/[^"]*' home.html | head -n1)" | wc -c) bytes; scripts served: none (CSP default-src 'none', no script-src)"
echo "server peak RSS: $(awk '/VmHWM/ {print $2, $3}' /proc/$server/status)"
