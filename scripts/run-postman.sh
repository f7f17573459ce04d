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
. scripts/test-server.sh

start_server

cd examples/postman
npm ci --no-audit --no-fund --loglevel=error
if ! BASE_URL="$base/fhir" npm test --silent -- "$@"; then
    echo "newman reported failures; the end of the server log:" >&2
    log_tail
    exit 1
fi
