#!/usr/bin/env bash
# Checks the demo as a user starts it: runs scripts/demo.sh on free ports and waits until it says it
# is running; gets the EHR integration's token (client credentials) with curl and reads the example
# contracts with it; logs in to the pages through the demo identity provider in headless Chromium
# (browser-tests/demo/: Göran, and the nurse at Vårdcentralen Nybro); runs the Postman collection
# with the demo environment, as the persona cosmic-ehr-vcny; then stops the demo as Ctrl-C would
# and checks that both of its processes are gone. Exits non-zero if any of it fails.
#
#   scripts/run-demo-tests.sh
#
# Builds nothing: run ./mvnw -B -ntp verify (or package) first. Needs java, node, npm, curl and
# Debian's chromium (see scripts/run-browser-tests.sh). READY_TIMEOUT as for scripts/demo.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/test-server.sh

port=$(free_port)
idp_port=$(free_port)
base="http://localhost:$port"
idp="http://localhost:$idp_port/demo"
out=$(mktemp)
demo=""

stop_demo() {
    [ -n "$demo" ] || return 0
    # Job control (set -m below) gave the demo a process group of its own, in which SIGINT is not
    # ignored as it would be for a plain background job: it gets Ctrl-C's signal.
    kill -INT "$demo" 2>/dev/null || true
    wait "$demo" 2>/dev/null || true
    demo=""
}
finish() {
    stop_demo
    rm -f "$out"
}
trap finish EXIT

json_field() {
    node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => console.log(JSON.parse(s)[process.argv[1]]))' "$1"
}

echo "== scripts/demo.sh on ports $port (server) and $idp_port (identity provider)"
set -m
PORT="$port" IDP_PORT="$idp_port" scripts/demo.sh >"$out" 2>&1 &
demo=$!
set +m
deadline=$((SECONDS + ${READY_TIMEOUT:-600} + 60))
until grep -q '^The demo is running' "$out"; do
    if ! kill -0 "$demo" 2>/dev/null || [ "$SECONDS" -ge "$deadline" ]; then
        echo "the demo did not come up:" >&2
        cat "$out" >&2
        exit 1
    fi
    sleep 1
done
cat "$out"

echo "== A persona's token from the command line"
token=$(curl -sf "$idp/token" -d grant_type=client_credentials -d client_id=cosmic-ehr-vcny -d client_secret=demo |
    json_field access_token)
# Under Patientdatalagen a care token counts across patients only what its own unit owns.
own="_security=https://patientkontrakt.se/fhir/CodeSystem/pk-owner-care-unit%7CSE2321000073-VCNY01"
total=$(curl -sf -H "Authorization: Bearer $token" "$base/fhir/CarePlan?_summary=count&$own" | json_field total)
without=$(curl -s -o /dev/null -w '%{http_code}' "$base/fhir/CarePlan")
echo "cosmic-ehr-vcny counts $total contracts of Vårdcentralen Nybro; without a token: HTTP $without"
[ "$total" -ge 2 ] && [ "$without" = 401 ]

echo "== The pages logged in through the demo identity provider, in headless Chromium"
(cd browser-tests && npm ci --no-audit --no-fund --loglevel=error &&
    BASE_URL="$base" IDP_URL="$idp" node --test --test-concurrency=1 demo/)

echo "== The Postman collection with the demo environment (persona cosmic-ehr-vcny)"
(cd examples/postman && npm ci --no-audit --no-fund --loglevel=error &&
    npx newman run patientkontrakt.postman_collection.json -e demo.postman_environment.json \
        --env-var baseUrl="$base/fhir" --env-var tokenUrl="$idp/token")

echo "== Ctrl-C stops the demo"
stop_demo
for url in "$base/actuator/health" "$idp/.well-known/openid-configuration"; do
    if curl -s -o /dev/null --max-time 5 "$url"; then
        echo "still answering after Ctrl-C: $url" >&2
        exit 1
    fi
done
grep -q '^stopping the demo' "$out"
echo "both stopped"
