#!/usr/bin/env bash
# The benchmark table of the README, for one database: loads the synthetic population (seed 42)
# in steps, restarting the server between steps, and measures at the sizes asked for.
#
#   scripts/bench-scale.sh h2 [sizes...]                  # a fresh H2 file database
#   scripts/bench-scale.sh postgres DATABASE [sizes...]   # an existing, empty PostgreSQL database
#   e.g. scripts/bench-scale.sh h2 10000 100000
#        scripts/bench-scale.sh postgres patientkontrakt_bench 10000
#
# Sizes default to 10000. The PostgreSQL database must exist and belong to the user
# patientkontrakt (password patientkontrakt) on localhost:5432. Results go to OUT (default a new
# directory under /tmp, printed first); each figure is in a file named after what it measured.
# The server is fhir-server/target's jar, built if missing: rebuild it after a change.
# DURATION (default 20 s), WARMUP_RUN (10 s) and NEW (1000 contracts) shorten a trial run.
# LOAD_ONLY=1 loads and measures nothing (for scripts/bench-pdl.sh). To measure a database loaded before: LOADED (contracts of seed 42 already there), BESIDES (other
# populations there, as ",seed:count,..."), SEED (the first seed for new contracts, default 43).
# LISTED_AT (seed:count of a listed population loaded before with scripts/bench-population.sh, same
# TODAY): the contracts' patients hold none of its residents' numbers and are listed at its health
# centres, so they are part of the population the follow-up measures count.
#
# The load runs with validation off and eight clients, in steps of STEP contracts (default
# 10,000) with a server restart between (H2 gives the space of rewritten chunks back over a
# restart, see BENCHMARKS.md). At each size, with validation on (the production default):
#   read-N-warm.txt   a 10 s run of every read scenario, to warm the JIT up (not reported)
#   read-N.txt        every read scenario, one client, 20 s each after 5 s of warm-up
#   update-N.txt      PATCH of a next step with If-Match, one client, 20 s
#   create-N.txt      1,000 new contracts (a further seed, clear of the numbers already held)
#                     written by eight clients
#   measure-N.txt     one $evaluate-measure over the whole database (client timeout one minute)
set -euo pipefail
cd "$(dirname "$0")/.."

database="${1:?h2 or postgres}"
shift
if [ "$database" = postgres ]; then
    pg_name="${1:?the PostgreSQL database name}"
    shift
fi
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(10000)
step="${STEP:-10000}"
port="${PORT:-18410}"
today="${TODAY:-2026-11-23}"
duration="${DURATION:-20}"
warmup_run="${WARMUP_RUN:-10}"
new="${NEW:-1000}"
out="${OUT:-$(mktemp -d /tmp/pk-bench-scale.XXXXXX)}"
mkdir -p "$out"
base="http://localhost:$port/fhir"
echo "results in $out"

jar=$(ls fhir-server/target/fhir-server-*.jar 2>/dev/null | grep -v original | head -1 || true)
if [ -z "$jar" ]; then
    ./mvnw -B -q -ntp -DskipTests package
    jar=$(ls fhir-server/target/fhir-server-*.jar | grep -v original | head -1)
fi
./mvnw -B -q -pl fhir-server -Pbench test-compile -Djacoco.skip=true

data_dir="$out/data"
server=""
start() { # validation on or off, log name
    if [ "$database" = postgres ]; then
        SPRING_PROFILES_ACTIVE=postgres \
            SPRING_DATASOURCE_URL="jdbc:postgresql://localhost:5432/$pg_name" \
            SPRING_DATASOURCE_USERNAME=patientkontrakt SPRING_DATASOURCE_PASSWORD=patientkontrakt \
            java -Xmx1g -jar "$jar" --server.port="$port" --patientkontrakt.data-dir="$data_dir" \
            --patientkontrakt.validation.benchmark-without-profiles="$( [ "$1" = true ] && echo false || echo true )" >"$out/server-$2.log" 2>&1 &
    else
        java -Xmx1g -jar "$jar" --server.port="$port" --patientkontrakt.data-dir="$data_dir" \
            --patientkontrakt.validation.benchmark-without-profiles="$( [ "$1" = true ] && echo false || echo true )" >"$out/server-$2.log" 2>&1 &
    fi
    server=$!
    for _ in $(seq 1 300); do
        curl -sf -o /dev/null "$base/metadata" && break
        kill -0 "$server" 2>/dev/null || { echo "the server stopped; see $out/server-$2.log" >&2; exit 1; }
        sleep 1
    done
    echo "$(date +%T) server up, validation $1"
}
stop() {
    kill "$server"
    wait "$server" || true
    server=""
}
trap '[ -z "$server" ] || kill "$server"' EXIT
bench() { # exec id, arguments
    ./mvnw -q -pl fhir-server -Pbench exec:java@"$1" -Djacoco.skip=true -Dexec.args="$2"
}
common="--base-url $base --seed 42 --today $today"
listed_at="${LISTED_AT:+ --listed-at $LISTED_AT}"

loaded="${LOADED:-0}"
besides="${BESIDES:-}"
seed="${SEED:-43}"
for size in "${sizes[@]}"; do
    while [ "$loaded" -lt "$size" ]; do
        to=$((loaded + step < size ? loaded + step : size))
        start false "load-$to"
        bench populate "$common --count $to --from $loaded --concurrency 8$listed_at" \
            >"$out/load-$to.txt" 2>"$out/load-$to.err"
        stop
        echo "$(date +%T) loaded $to: $(grep -o '[0-9.]* contracts/s' "$out/load-$to.txt")"
        loaded=$to
    done
    [ -z "${LOAD_ONLY:-}" ] || continue
    start true "measure-$size"
    bench read-latency "$common --count $size --concurrency 1 --duration $warmup_run --warmup 5" >"$out/read-$size-warm.txt" 2>&1
    bench read-latency "$common --count $size --concurrency 1 --duration $duration --warmup 5" >"$out/read-$size.txt" 2>&1
    bench read-latency "$common --count $size --concurrency 1 --duration $duration --warmup 5 --scenarios update-next-step" \
        >"$out/update-$size.txt" 2>&1
    bench populate "--base-url $base --today $today --count $new --seed $seed --concurrency 8 --besides 42:$size$besides$listed_at" \
        >"$out/create-$size.txt" 2>"$out/create-$size.err"
    besides="$besides,$seed:$new"
    seed=$((seed + 1))
    bench read-latency "$common --count $size --concurrency 1 --requests 1 --warmup 0 --scenarios evaluate-measure" \
        >"$out/measure-$size.txt" 2>&1
    stop
    echo "$(date +%T) measured at $size"
done
