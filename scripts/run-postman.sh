#!/usr/bin/env bash
# Runs the Postman collection (examples/postman/) with newman against the built server: starts
# fhir-server/target/fhir-server-*.jar on a free port with a throw-away H2 data directory, waits
# until it is ready, runs the collection, stops the server. Exits non-zero if the server does not
# become ready or any request or test fails.
#
#   scripts/run-postman.sh [newman options...]
#   e.g. scripts/run-postman.sh --folder "2 Write the contract" --folder "3 Portal view"
#
# Builds nothing: run ./mvnw -B -ntp verify (or package) first. Needs java, node and npm.
# READY_TIMEOUT (seconds, default 600) bounds the wait for /actuator/health/readiness: start-up
# takes about 35 s on an idle machine, minutes on a busy one.
set -euo pipefail
cd "$(dirname "$0")/.."

jar=$(ls fhir-server/target/fhir-server-*.jar 2>/dev/null | grep -v '\.original$' | head -1 || true)
if [ -z "$jar" ]; then
    echo "no server jar in fhir-server/target; build it first (./mvnw -B -ntp -pl fhir-server package -DskipTests)" >&2
    exit 1
fi
ready_timeout="${READY_TIMEOUT:-600}"

work=$(mktemp -d)
log="$work/server.log"
pid=""
stop_server() {
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        kill "$pid"
        wait "$pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap stop_server EXIT
# The end of the server log without stack frames, which would fill it.
log_tail() {
    grep -v -E '^\s+(at |\.\.\. [0-9]+ (more|common))' "$log" | tail -40 >&2
}

# A port the kernel just handed out; nothing else should take it in the second before the server does.
port=$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });')
base="http://127.0.0.1:$port"

echo "starting $jar on port $port (data in $work/data)"
java -Xmx1g -jar "$jar" --server.port="$port" --patientkontrakt.data-dir="$work/data" >"$log" 2>&1 &
pid=$!

deadline=$((SECONDS + ready_timeout))
until curl -sf -o /dev/null "$base/actuator/health/readiness"; do
    if ! kill -0 "$pid" 2>/dev/null; then
        echo "the server exited before it was ready; the end of its log:" >&2
        log_tail
        exit 1
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
        echo "the server was not ready within ${ready_timeout} s; the end of its log:" >&2
        log_tail
        exit 1
    fi
    sleep 1
done
echo "ready after $SECONDS s"

cd examples/postman
npm ci --no-audit --no-fund --loglevel=error
if ! BASE_URL="$base/fhir" npm test --silent -- "$@"; then
    echo "newman reported failures; the end of the server log:" >&2
    log_tail
    exit 1
fi
