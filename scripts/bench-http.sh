#!/usr/bin/env bash
# GET /api/v1/seekers/{id}/candidates under load, over real HTTP on loopback, with
# authentication and auditing as in production: wrk against the release binary serving
# a demo program of N sponsors (default 100,000) on the embedded SQLite default, or on
# PostgreSQL when BENCH_DATABASE_URL is set (a database is created and dropped).
#
#   scripts/bench-http.sh [sponsors] [seconds] [connections]
#
# BENCH_BINARY: the binary to serve with instead of building target/release; several,
# separated by ':', are served in turn on the same data (loaded once, by the first),
# e.g. BENCH_BINARY=base/sponsor-match:new/sponsor-match:base/sponsor-match:new/sponsor-match
# for before/after figures from one run. The databases' migrations must be the same.
set -euo pipefail
cd "$(dirname "$0")/.."
sponsors=${1:-100000}
seconds=${2:-20}
connections=${3:-32}
port=18480

command -v wrk >/dev/null || { apt-get install -y -qq wrk >/dev/null; }
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
trap 'cd /; [ -n "$server" ] && kill $server 2>/dev/null || true; rm -rf "$work"; [ -n "${db:-}" ] && psql "$BENCH_DATABASE_URL" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null' EXIT
cd "$work"
export APP__LOG__FILTER=warn APP__SERVER__PORT=$port
if [ -n "${BENCH_DATABASE_URL:-}" ]; then
  db="sm_http_$(date +%s)"
  psql "$BENCH_DATABASE_URL" -qc "CREATE DATABASE $db" >/dev/null
  export APP__DATABASE__URL="${BENCH_DATABASE_URL%/*}/$db"
  export APP__SECRETS__TOKEN_SIGNING_KEY=bench APP__SECRETS__API_KEY_PEPPER=bench
fi
echo "bench: loading $sponsors sponsors"
created=$("${binaries[0]}" demo-data --sponsors "$sponsors" --seekers 200 2>/dev/null)
email=$(echo "$created" | awk '/program admin/ {print $3}')
password=$(echo "$created" | awk '/program admin/ {print $5}')
for binary in "${binaries[@]}"; do
  "$binary" serve >server.log 2>&1 &
  server=$!
  for _ in $(seq 1 600); do curl -sf "localhost:$port/readyz" >/dev/null && break; sleep 0.5; done
  echo "== $binary"
  token=$(curl -sf "localhost:$port/api/v1/auth/login" -H 'content-type: application/json' \
    -d "{\"email\":\"$email\",\"password\":\"$password\"}" | sed 's/.*"token":"\([^"]*\)".*/\1/')
  curl -sf "localhost:$port/api/v1/seekers?limit=100" -H "authorization: Bearer $token" \
    | grep -o '"id":"[^"]*","alias"' | sed 's/"id":"\([^"]*\)".*/\1/' >seekers.txt
  cat >candidates.lua <<LUA
local ids = {}
for line in io.lines("seekers.txt") do ids[#ids + 1] = line end
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", "/api/v1/seekers/" .. ids[(n % #ids) + 1] .. "/candidates?limit=10",
    { ["Authorization"] = "Bearer $token" })
end
LUA
  curl -sf "localhost:$port/api/v1/seekers/$(head -n1 seekers.txt)/candidates?limit=10" \
    -H "authorization: Bearer $token" | grep -q '"candidates"'
  echo "bench: $(wc -l <seekers.txt) seekers, $sponsors sponsors, $(nproc) cores, wrk -t2 -c$connections -d${seconds}s"
  wrk -t2 -c"$connections" -d"${seconds}s" --latency -s candidates.lua "http://127.0.0.1:$port" \
    | grep -E "Requests/sec|Latency|50%|90%|99%|Non-2xx|Socket errors|requests in"
  kill $server
  wait $server 2>/dev/null || true
  server=
done
