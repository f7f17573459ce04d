#!/usr/bin/env bash
# The demo in one command: starts the demo identity provider (demo-idp/: mock-oauth2-server with
# the personas of demo-idp/config/personas.json) and the FHIR server with the Spring profile
# "demo" (fhir-server/src/main/resources/application-demo.yaml: access control on, trusting that
# identity provider, the example contracts loaded into a fresh database), both on this machine.
# Prints where the pages, the FHIR endpoint and the identity provider are and who can log in;
# Ctrl-C (or SIGTERM) stops both and removes the database. See docs/demo.md.
#
#   scripts/demo.sh [server options...]
#   e.g. scripts/demo.sh --patientkontrakt.data-dir=/tmp/pk-demo    (keep the data between runs)
#
# Builds nothing: run ./mvnw verify (or ./mvnw package -DskipTests) first. Needs java and curl.
# PORT (default 8080) and IDP_PORT (default 8090) move the server and the identity provider;
# READY_TIMEOUT (seconds, default 600) bounds the wait for the server, which takes about a minute.
set -euo pipefail
cd "$(dirname "$0")/.."

port="${PORT:-8080}"
idp_port="${IDP_PORT:-8090}"
ready_timeout="${READY_TIMEOUT:-600}"
base="http://localhost:$port"
idp="http://localhost:$idp_port/demo"

jar=$(ls fhir-server/target/fhir-server-*.jar 2>/dev/null | grep -v '\.original$' | head -1 || true)
idp_jar=$(ls demo-idp/target/demo-idp-*.jar 2>/dev/null | grep -v '\.original$' | head -1 || true)
if [ -z "$jar" ] || [ -z "$idp_jar" ]; then
    echo "build first: ./mvnw verify (or ./mvnw package -DskipTests) makes fhir-server/target/fhir-server-*.jar" >&2
    echo "and demo-idp/target/demo-idp-*.jar" >&2
    exit 1
fi

work=$(mktemp -d)
idp_pid=""
server_pid=""

stop() {
    trap - EXIT INT TERM
    echo
    echo "stopping the demo"
    for pid in $server_pid $idp_pid; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in $server_pid $idp_pid; do
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$work"
}
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

log_tail() {
    grep -v -E '^\s+(at |\.\.\. [0-9]+ (more|common))' "$1" | tail -30 >&2
}

# Waits until the URL answers 2xx, or the process has exited, or the time is up.
await() {
    local url=$1 pid=$2 log=$3 what=$4 deadline=$((SECONDS + ready_timeout))
    until curl -sf -o /dev/null "$url"; do
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "$what exited before it was ready; the end of its log ($log):" >&2
            log_tail "$log"
            exit 1
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            echo "$what was not ready within $ready_timeout s; the end of its log:" >&2
            log_tail "$log"
            exit 1
        fi
        sleep 1
    done
}

echo "starting the demo identity provider on port $idp_port"
java -Ddemo-idp.port="$idp_port" -jar "$idp_jar" >"$work/idp.log" 2>&1 &
idp_pid=$!
await "$idp/.well-known/openid-configuration" "$idp_pid" "$work/idp.log" "the identity provider"

issuer=()
[ -z "${IDP_PORT:-}" ] || issuer=(--spring.security.oauth2.resourceserver.jwt.issuer-uri="$idp")
echo "starting $jar on port $port with the profile demo (about a minute; log: $work/server.log)"
java -Xmx1g -jar "$jar" --spring.profiles.active=demo --server.port="$port" \
    --patientkontrakt.data-dir="$work/data" "${issuer[@]}" "$@" >"$work/server.log" 2>&1 &
server_pid=$!
await "$base/actuator/health/readiness" "$server_pid" "$work/server.log" "the server"

cat <<EOF

The demo is running. Ctrl-C stops it.

  pages              $base/  (Mitt patientkontrakt: $base/mitt-patientkontrakt/, work list: $base/arbetslista/)
  FHIR endpoint      $base/fhir  (every request needs a token; how to log in: $base/fhir/.well-known/smart-configuration)
  identity provider  $idp  (token endpoint $idp/token)
  logs               $work/server.log, $work/idp.log

Personas: the pages send you to the identity provider, where you choose whom to log in as. A client
gets a token at the token endpoint: a person with grant_type=password, username and any password;
a system with grant_type=client_credentials, its client id and any client secret (both in the body).

$(java -jar "$idp_jar" --personas)

For example:
  curl -s $idp/token -d grant_type=client_credentials -d client_id=cosmic-ehr-vcny -d client_secret=demo
Postman: the environment examples/postman/demo.postman_environment.json, with "persona" set. More in docs/demo.md.
EOF

while kill -0 "$idp_pid" 2>/dev/null && kill -0 "$server_pid" 2>/dev/null; do
    sleep 1
done
echo "the identity provider or the server stopped; the end of the server log:" >&2
log_tail "$work/server.log"
exit 1
