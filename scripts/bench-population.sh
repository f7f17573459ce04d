#!/usr/bin/env bash
# Loading a region's population: generates COUNT residents listed at the region's health centres,
# with their target groups (RUB 5, RUB 4, SÄBO, 75 år och äldre), as NDJSON (seed 42), starts the
# server on the database with validation on (the production default), and loads the files with the
# population loader as a region's data team runs it (java -cp on the server's jar). Prints the
# time, the rate and the number of rejected lines.
#
#   scripts/bench-population.sh postgres DATABASE COUNT   # an existing, empty PostgreSQL database
#   scripts/bench-population.sh h2 COUNT                  # a fresh H2 file database
#   e.g. sudo -u postgres createdb -O patientkontrakt pk_bench_population
#        scripts/bench-population.sh postgres pk_bench_population 30000
#
# The PostgreSQL database must belong to the user patientkontrakt (password patientkontrakt) on
# localhost:5432. Results go to OUT (default a new directory under /tmp, printed first):
# generate.txt, load.txt (the summary), load.err (a progress line every ten seconds per file),
# rejected-lines.tsv, server.log. The server is fhir-server/target's jar, built if missing:
# rebuild it after a change (or name a copy in JAR, so a build meanwhile does not replace it). The server runs without access control (as the other benchmarks), so
# the loader sends no token; BATCH (lines per Bundle, default 200) and CONCURRENCY (Bundles in
# flight, default 2) tune the load; SEED (default 42) and TODAY (default 2026-11-23) the population.
# SECURED=1 runs the server with access control on, trusting the test issuer
# (fhir-server/src/test/resources/auth), and loads with the token of a region-wide client
# (system/Organization.cu system/Patient.cu system/Group.cu), as a region loads: every write then
# also gets its Provenance. After the load, scripts/bench-population-measures.sh times the six
# population measures (MEASURE_ROUNDS each, default 5; 0 skips them).
set -euo pipefail
cd "$(dirname "$0")/.."

database="${1:?h2 or postgres}"
shift
if [ "$database" = postgres ]; then
    pg_name="${1:?the PostgreSQL database name}"
    shift
fi
count="${1:?the number of residents}"
seed="${SEED:-42}"
today="${TODAY:-2026-11-23}"
port="${PORT:-18420}"
out="${OUT:-$(mktemp -d /tmp/pk-bench-population.XXXXXX)}"
mkdir -p "$out"
base="http://127.0.0.1:$port/fhir"
echo "results in $out"

jar="${JAR:-$(ls fhir-server/target/fhir-server-*.jar 2>/dev/null | grep -v original | head -1 || true)}"
if [ -z "$jar" ]; then
    ./mvnw -B -q -ntp -DskipTests package
    jar=$(ls fhir-server/target/fhir-server-*.jar | grep -v original | head -1)
fi
./mvnw -B -q -pl fhir-server -Pbench test-compile -Djacoco.skip=true

./mvnw -q -pl fhir-server -Pbench exec:java@generate-population -Djacoco.skip=true \
    -Dexec.args="--count $count --seed $seed --today $today --out $out/ndjson" | tee "$out/generate.txt"

if curl -s -o /dev/null "$base/metadata"; then
    echo "something already answers on port $port: choose another with PORT" >&2
    exit 1
fi
secured=()
load_token=()
if [ -n "${SECURED:-}" ]; then
    secured=(--spring.security.oauth2.resourceserver.jwt.issuer-uri=https://idp.test.patientkontrakt.se/realms/region
        --spring.security.oauth2.resourceserver.jwt.audiences=patientkontrakt-fhir
        --spring.security.oauth2.resourceserver.jwt.public-key-location=file:fhir-server/src/test/resources/auth/issuer-public-key.pem
        --patientkontrakt.pdl.region-wide-clients=region-follow-up)
    ./mvnw -q -pl fhir-server -Pbench exec:java@region-token -Djacoco.skip=true \
        -Dexec.args="system/Organization.cu system/Patient.cu system/Group.cu" >"$out/load.token"
    ./mvnw -q -pl fhir-server -Pbench exec:java@region-token -Djacoco.skip=true \
        -Dexec.args="system/CarePlan.rs system/Group.rs" >"$out/measure.token"
    load_token=(--token-file "$out/load.token")
fi
if [ "$database" = postgres ]; then
    SPRING_PROFILES_ACTIVE=postgres \
        SPRING_DATASOURCE_URL="jdbc:postgresql://localhost:5432/$pg_name" \
        SPRING_DATASOURCE_USERNAME=patientkontrakt SPRING_DATASOURCE_PASSWORD=patientkontrakt \
        java -Xmx1500m -jar "$jar" --server.port="$port" --patientkontrakt.data-dir="$out/data" "${secured[@]}" \
        >"$out/server.log" 2>&1 &
else
    java -Xmx1500m -jar "$jar" --server.port="$port" --patientkontrakt.data-dir="$out/data" "${secured[@]}" \
        >"$out/server.log" 2>&1 &
fi
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
for _ in $(seq 1 300); do
    # 401 without a token once a secured server is ready; 503 before
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/actuator/health/readiness")" = 200 ] && break
    kill -0 "$server" 2>/dev/null || { echo "the server stopped; see $out/server.log" >&2; exit 1; }
    sleep 1
done
echo "$(date +%T) server up"

status=0
java -Dloader.main=se.patientkontrakt.fhir.population.PopulationLoader -cp "$jar" \
    org.springframework.boot.loader.launch.PropertiesLauncher \
    --base-url "$base" "${load_token[@]}" --batch-size "${BATCH:-200}" --concurrency "${CONCURRENCY:-2}" \
    --report "$out/rejected-lines.tsv" \
    "$out/ndjson/Organization.ndjson" "$out/ndjson/Patient.ndjson" "$out/ndjson/Group.ndjson" \
    >"$out/load.txt" 2>"$out/load.err" || status=$?
grep -h "lines/s" "$out/load.err" | awk '{ last[$1] = $0 } END { for (f in last) print last[f] }'
cat "$out/load.txt"
[ "$status" -eq 0 ] || [ "$status" -eq 3 ] || { echo "the load stopped (exit $status); see $out/load.err" >&2; exit "$status"; }
if [ "${MEASURE_ROUNDS:-5}" -gt 0 ]; then
    echo "$(date +%T) the population measures, ${MEASURE_ROUNDS:-5} times each"
    TOKEN="$( [ -z "${SECURED:-}" ] || cat "$out/measure.token")" ROUNDS="${MEASURE_ROUNDS:-5}" \
        scripts/bench-population-measures.sh "$base" | tee "$out/measures.txt"
fi
