#!/usr/bin/env bash
# Measures how long the server takes from launch to the first 200 on /fhir/metadata, and its
# resident memory (RSS) right then, over several runs on a fresh H2 data directory each.
#
#   scripts/measure-startup.sh [runs] [extra JVM options...]
#   e.g. scripts/measure-startup.sh 3
#        scripts/measure-startup.sh 3 -Xmx1g -XX:+UseSerialGC
#        JAVA=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java AOT=1 scripts/measure-startup.sh 3 -Xmx1g
#                                                   # Java 25 with an ahead-of-time cache (JEP 483/514)
#        CDS=1 scripts/measure-startup.sh 3 -Xmx1g  # Java 17 with a class-data archive (AppCDS)
#
# Uses the executable jar, extracted once with Spring Boot's jar tools (as a deployment would run
# it); builds it first if missing. JAVA picks the java binary; with AOT=1 (Java 25 or newer) a
# training run first records an ahead-of-time cache that the measured runs use: the server is
# started, left to become ready (validator prepared, definitions stored) and stopped (SIGTERM), so
# the cache holds the classes of the whole start; AOT_TRAINING=refresh trains only up to the
# refreshed Spring context (spring.context.exit=onRefresh), as earlier figures were made. Prints each run (first 200 on /fhir/metadata; readiness, i.e. the validator prepared and
# the definitions stored) and the medians.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/startup-timing.sh

runs="${1:-3}"
shift || true
jvm_options=("$@")

jar=$(ls fhir-server/target/fhir-server-*.jar 2>/dev/null | grep -v original | head -1 || true)
if [ -z "$jar" ]; then
    ./mvnw -B -q -ntp -DskipTests package
    jar=$(ls fhir-server/target/fhir-server-*.jar | grep -v original | head -1)
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
app_jar=$(extract_jar "$jar" "$work/app")
java="${JAVA:-java}"
# train RECORD_OPTION: a training run through readiness, stopped as a deployment stops it (SIGTERM);
# the JVM writes the cache or archive that RECORD_OPTION names as it exits.
train() {
    "$java" "$1" -jar "$app_jar" \
        --patientkontrakt.data-dir="$work/training" --server.port=18079 >"$work/training.log" 2>&1 &
    training=$!
    wait_for_200 "http://127.0.0.1:18079/actuator/health/readiness" "$training" "$work/training.log"
    kill "$training"
    wait "$training" 2>/dev/null || true
}
if [ "${CDS:-0}" = 1 ]; then
    # Java 17's application class-data sharing: the classes a training run loaded, parsed and
    # verified once into a static archive that every later start maps. Built from the training
    # run's class list without its lambda-proxy entries: with them, Debian's OpenJDK 17.0.15 dies
    # in SystemDictionaryShared::adjust_lambda_proxy_class_dictionary while writing the archive, as
    # it does writing a dynamic one (-XX:ArchiveClassesAtExit).
    train -XX:DumpLoadedClassList="$work/classes.all"
    grep -v '^@lambda-proxy' "$work/classes.all" >"$work/classes.lst"
    "$java" -Xshare:dump -XX:SharedClassListFile="$work/classes.lst" -XX:SharedArchiveFile="$work/app.jsa" \
        -cp "$app_jar" >"$work/dump.log" 2>&1 || true
    if [ ! -s "$work/app.jsa" ]; then
        echo "no class-data archive was written; the end of the dump's log:" >&2
        tail -20 "$work/dump.log" >&2
        exit 1
    fi
    jvm_options=(-XX:SharedArchiveFile="$work/app.jsa" "${jvm_options[@]}")
fi
if [ "${AOT:-0}" = 1 ]; then
    if [ "${AOT_TRAINING:-ready}" = refresh ]; then
        # A training run that stops once the application context is refreshed.
        "$java" -XX:AOTCacheOutput="$work/app.aot" -Dspring.context.exit=onRefresh -jar "$app_jar" \
            --patientkontrakt.data-dir="$work/training" --server.port=0 >"$work/training.log" 2>&1 || true
    else
        train -XX:AOTCacheOutput="$work/app.aot"
    fi
    if [ ! -s "$work/app.aot" ]; then
        echo "the training run wrote no AOT cache; its log:" >&2
        tail -20 "$work/training.log" >&2
        exit 1
    fi
    jvm_options=(-XX:AOTCache="$work/app.aot" "${jvm_options[@]}")
fi

port=18080
times=()
ready=()
rss=()
for run in $(seq 1 "$runs"); do
    data="$work/data-$run"
    start=$(date +%s%N)
    "$java" "${jvm_options[@]}" -jar "$app_jar" \
        --patientkontrakt.data-dir="$data" --server.port="$port" >"$work/run-$run.log" 2>&1 &
    pid=$!
    wait_for_200 "http://127.0.0.1:$port/fhir/metadata" "$pid" "$work/run-$run.log"
    ms=$(millis_since "$start")
    wait_for_200 "http://127.0.0.1:$port/actuator/health/readiness" "$pid" "$work/run-$run.log"
    ready_ms=$(millis_since "$start")
    kb=$(rss_kb "$pid")
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    times+=("$ms")
    ready+=("$ready_ms")
    rss+=("$kb")
    printf 'run %d: first 200 on /fhir/metadata after %s s, ready after %s s, RSS then %d MB\n' \
        "$run" "$(seconds "$ms")" "$(seconds "$ready_ms")" $((kb / 1024))
done


printf 'median of %d runs: %s s to first 200 on /fhir/metadata, RSS %d MB when ready after %s s (JVM options: %s)\n' \
    "$runs" "$(seconds "$(median "${times[@]}")")" $(($(median "${rss[@]}") / 1024)) \
    "$(seconds "$(median "${ready[@]}")")" "${jvm_options[*]:-none}"
