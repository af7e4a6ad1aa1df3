#!/usr/bin/env bash
# The API as a newcomer meets it: schemathesis generates requests from the served
# /api/v1/openapi.json and checks every answer against that document: no server error;
# status, content type, headers and body as documented; 405 with `Allow` for a method a
# path does not have; a request the document allows taken, one it forbids refused
# (scripts/fuzz-api.toml lists the statuses; scripts/fuzz_hooks.py keeps valid requests to
# the rules between fields and the clock that JSON Schema cannot state). It calls as a portal key, a program admin, a sponsor and with no
# credential, on a fresh SQLite database and then on a fresh PostgreSQL database
# (created on FUZZ_DATABASE_URL's server, then dropped).
# Any failure fails the script.
#
#   scripts/fuzz-api.sh [seconds per caller and database, default 20]
#
# Uses target/debug/sponsor-match (built, or brought up to date) and a venv under
# ~/.cache/sponsor-match, made once per schemathesis version.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}
pg_url=${FUZZ_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}
schemathesis_version=4.32.5
port=18490
started=$(date +%s)

venv="${XDG_CACHE_HOME:-$HOME/.cache}/sponsor-match/fuzz-venv-$schemathesis_version"
if [ ! -x "$venv/bin/schemathesis" ]; then
  echo "fuzz: installing schemathesis $schemathesis_version into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet "schemathesis==$schemathesis_version"
fi
target=${CARGO_TARGET_DIR:-$PWD/target}
scripts=$PWD/scripts
cargo build --locked --quiet --bin sponsor-match
binary=$target/debug/sponsor-match

work=$(mktemp -d)
database=
clean_up() {
  if [ -n "$database" ]; then psql "$pg_url" -qc "DROP DATABASE IF EXISTS $database WITH (FORCE)" >/dev/null; fi
  rm -rf "$work"
}
trap clean_up EXIT

json_field() { "$venv/bin/python" -c "import json, sys; print(json.load(sys.stdin)['$1'])"; }

api=http://127.0.0.1:$port/api/v1
post() { # path, json body, [bearer]
  curl -sf "$api$1" -H 'content-type: application/json' -d "$2" \
    ${3:+-H "authorization: Bearer $3"}
}

# One database: serve it, make the callers, fuzz as each. The server logs to
# $work/<name>/server.log, kept on failure.
fuzz_on() {
  local name=$1 dir=$work/$1
  mkdir -p "$dir"
  (
    cd "$dir"
    export APP__SERVER__PORT=$port APP__LOG__FILTER=warn
    local created email password
    created=$("$binary" create-admin --program "Fuzz program" --email admin@fuzz.example.org \
      --name "Fuzz Admin")
    password=$(echo "$created" | awk '/^password/ {print $2}')
    # The program takes the highest maximum of sponsees there is, so that every capacity
    # the document allows (1 to 50) is one it takes.
    local widest="UPDATE programs SET max_sponsor_capacity = 50"
    if [ -n "${APP__DATABASE__URL:-}" ]; then psql "$APP__DATABASE__URL" -qc "$widest" >/dev/null
    else sqlite3 var/sponsor-match.db "$widest"; fi
    "$binary" serve >server.log 2>&1 &
    local server=$!
    trap "kill $server 2>/dev/null; wait $server 2>/dev/null" EXIT
    for _ in $(seq 1 120); do curl -sf "localhost:$port/readyz" >/dev/null && break; sleep 0.5; done
    admin=$(post /auth/login "{\"email\":\"admin@fuzz.example.org\",\"password\":\"$password\"}" \
      | json_field token)
    portal=$(post /api-keys '{"name":"fuzz portal"}' "$admin" | json_field key)
    invite=$(post /invites \
      '{"email":"sponsor@fuzz.example.org","display_name":"Sam Sponsor","role":"sponsor"}' \
      "$admin" | json_field token)
    post /invites/accept "{\"token\":\"$invite\",\"password\":\"fuzz sponsor passphrase\"}" >/dev/null
    echo "fuzz: $name serving after $(( $(date +%s) - started ))s"
    sponsor=$(post /auth/login \
      '{"email":"sponsor@fuzz.example.org","password":"fuzz sponsor passphrase"}' | json_field token)
    local failed=0
    for caller in portal admin sponsor nobody; do
      local credential=()
      case $caller in
        portal) credential=(-H "Authorization: Bearer $portal") ;;
        admin) credential=(-H "Authorization: Bearer $admin") ;;
        sponsor) credential=(-H "Authorization: Bearer $sponsor") ;;
      esac
      # Logging out would end the session the rest of this caller's run uses; the run
      # without a credential still calls it.
      local logout=()
      [ "$caller" != nobody ] && logout=(--exclude-operation-id auth_logout)
      local run_started
      run_started=$(date +%s)
      if ! SCHEMATHESIS_HOOKS=fuzz_hooks PYTHONPATH="$scripts" "$venv/bin/schemathesis" \
        --config-file "$scripts/fuzz-api.toml" run "http://127.0.0.1:$port/api/v1/openapi.json" \
        --url "http://127.0.0.1:$port" "${credential[@]}" "${logout[@]}" \
        --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance,unsupported_method,allow_header_conformance,positive_data_acceptance,negative_data_rejection \
        --max-examples 25 --max-time "$seconds" --seed 1 --workers 1 \
        --request-timeout 10 --suppress-health-check all --no-color \
        --report junit --report-junit-path "$dir/$caller.xml" >"$dir/$caller.log" 2>&1; then
        failed=1
        echo "fuzz: $name as $caller FAILED in $(( $(date +%s) - run_started ))s:"
        grep -A400 -E "^=+ FAILURES|^_+ " "$dir/$caller.log" | head -200 || tail -80 "$dir/$caller.log"
      else
        echo "fuzz: $name as $caller: $(grep -A1 '^Test cases:' "$dir/$caller.log" | tail -1 | xargs)" \
          "in $(( $(date +%s) - run_started ))s"
      fi
    done
    # actix logs a request it cannot parse (a header the fuzzer made invalid) as an
    # error, and answers it 400; any other error is the service's.
    if grep 'ERROR' server.log | grep -qv 'actix_http::h1::dispatcher.*request parse error'; then
      echo "fuzz: $name server logged errors:"
      grep 'ERROR' server.log | grep -v 'actix_http::h1::dispatcher.*request parse error' | head -20
      failed=1
    fi
    exit $failed
  )
}

status=0
fuzz_on sqlite || status=1
database="sm_fuzz_$(date +%s)"
psql "$pg_url" -qc "CREATE DATABASE $database" >/dev/null
APP__DATABASE__URL="${pg_url%/*}/$database" APP__SECRETS__TOKEN_SIGNING_KEY=fuzz \
  APP__SECRETS__API_KEY_PEPPER=fuzz fuzz_on postgres || status=1
if [ $status -ne 0 ]; then
  rm -rf "$target/fuzz-api-last" && cp -r "$work" "$target/fuzz-api-last"
  echo "fuzz: failed in $(( $(date +%s) - started ))s; logs in $target/fuzz-api-last"
  exit 1
fi
echo "fuzz: passed in $(( $(date +%s) - started ))s"
