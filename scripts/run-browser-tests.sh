#!/usr/bin/env bash
# Runs the browser tests (browser-tests/) against the built server: starts
# fhir-server/target/fhir-server-*.jar on a free port with a throw-away H2 data directory and the
# example personas loaded, waits until it is ready, drives "Mitt patientkontrakt" and the work
# list in headless Chromium, stops the server. Screenshots land in browser-tests/screenshots/.
# Exits non-zero if the server does not become ready or any test fails.
#
#   scripts/run-browser-tests.sh [node --test options...]
#   e.g. scripts/run-browser-tests.sh --test-name-pattern=Göran
#
# Builds nothing: run ./mvnw -B -ntp verify (or package) first. Needs java, node, npm and
# Debian's chromium (apt-get install chromium; CHROMIUM names another binary): playwright-core
# drives it and downloads no browser of its own.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/test-server.sh

start_server --patientkontrakt.demo.load-examples=true

cd browser-tests
npm ci --no-audit --no-fund --loglevel=error
rm -rf screenshots
if ! BASE_URL="$base" node --test --test-concurrency=1 "$@" tests/; then
    echo "browser tests failed; screenshots in browser-tests/screenshots/; the end of the server log:" >&2
    log_tail
    exit 1
fi
echo "screenshots in browser-tests/screenshots/"
