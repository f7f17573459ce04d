#!/usr/bin/env bash
# Runs the browser tests (browser-tests/) against the built server, in headless Chromium:
#  1. tests/ against fhir-server/target/fhir-server-*.jar started on a free port with a throw-away
#     H2 data directory and the example personas, without access control (as the run command);
#  2. smart/ against the jar started again with access control on, trusting the test issuer's key
#     (fhir-server/src/test/resources/auth/) and a stand-in identity provider that the tests run,
#     so that the pages log in by the SMART launch.
# Screenshots land in browser-tests/screenshots/. Exits non-zero if a server does not become
# ready or any test fails.
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

(cd browser-tests && npm ci --no-audit --no-fund --loglevel=error && rm -rf screenshots)

run_tests() {
    if ! (cd browser-tests && BASE_URL="$base" node --test --test-concurrency=1 "$@"); then
        echo "browser tests failed; screenshots in browser-tests/screenshots/; the end of the server log:" >&2
        log_tail
        exit 1
    fi
}

echo "== The pages without access control"
start_server --patientkontrakt.demo.load-examples=true
run_tests "$@" tests/
stop_server

echo "== The pages with access control: SMART launch against a stand-in identity provider"
idp_port=$(free_port)
idp="http://127.0.0.1:$idp_port"
start_server --patientkontrakt.demo.load-examples=true \
    --spring.security.oauth2.resourceserver.jwt.issuer-uri=https://idp.test.patientkontrakt.se/realms/region \
    --spring.security.oauth2.resourceserver.jwt.audiences=patientkontrakt-fhir \
    --spring.security.oauth2.resourceserver.jwt.public-key-location=file:fhir-server/src/test/resources/auth/issuer-public-key.pem \
    --patientkontrakt.security.authorization-endpoint="$idp/authorize" \
    --patientkontrakt.security.token-endpoint="$idp/token"
IDP_PORT="$idp_port" run_tests "$@" smart/
echo "screenshots in browser-tests/screenshots/"
