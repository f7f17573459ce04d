#!/usr/bin/env bash
# This service side by side with a stock HAPI FHIR JPA server 8.8.0 (bench-stock-hapi/: HAPI's
# published JPA artifacts wired as HAPI's JPA starter wires them, HAPI's defaults, no validation,
# nothing of ours), on the same database kind, at the same heap, with the same client; prints the
# table of issue 24 and the ratios its targets are stated in.
#
#   scripts/bench-stock.sh [h2|postgres]
#
# Three servers, one after the other, each on a fresh database: this service with validation on,
# this service with patientkontrakt.validation.benchmark-without-profiles=true, and the stock
# server. For each: launch → first 200 on /fhir/metadata (this service: also readiness UP, the
# validator warm), RSS (VmRSS) then, the client (StockComparisonCommand: 200 new contracts from 8
# clients after 20 one at a time, 300 reads by id, 300 portal views, 100 contract updates), RSS
# after it. One at a time, not side by side as bench-pdl.sh runs two: a start-up time is only
# worth something with the machine to itself, and three JVMs at once would share 2 cores.
#
# h2 (default): an H2 file per server under OUT. postgres: the databases pk_bench_stock_on,
# pk_bench_stock_off and pk_bench_stock_hapi on localhost, dropped and created anew by the user
# patientkontrakt (password patientkontrakt; it needs CREATEDB) before each server starts.
#
# Builds this service's jar and the stock server's (the root profile bench-stock) first, unless
# SKIP_BUILD=1. JVM_OPTIONS (default -Xmx1g) go to each server's JVM; SIDES (default "on off stock") the
# servers and their order; ROUNDS (default 1) runs them that many times, the order reversed in every
# second round (going second is worth a few per cent to either server), and prints each round's
# ratios and the medians over the rounds; OUT (default a new directory under /tmp) keeps the logs and
# the client's tables; CONTRACTS, CONCURRENCY, READS, PORTAL_VIEWS, UPDATES and READ_WARM_UP (reads and
# portal views before the measured ones, default 1000: a read path is only compiled by the JIT after
# some thousands of requests, and 20 measured the JIT rather than the server) go to the client.
# Offline: MAVEN_ARGS=-o scripts/bench-stock.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/startup-timing.sh

db="${1:-h2}"
case "$db" in
    h2 | postgres) ;;
    *)
        echo "usage: $0 [h2|postgres]" >&2
        exit 2
        ;;
esac
jvm_options="${JVM_OPTIONS:--Xmx1g}"
read -r -a jvm <<<"$jvm_options"
read -r -a sides <<<"${SIDES:-on off stock}"
rounds="${ROUNDS:-1}"
out="${OUT:-$(mktemp -d /tmp/pk-bench-stock.XXXXXX)}"
mkdir -p "$out"
echo "results in $out"

if [ "${SKIP_BUILD:-0}" != 1 ]; then
    ./mvnw -B -q -pl fhir-server package -DskipTests -Djacoco.skip=true
    ./mvnw -B -q -Pbench-stock -pl bench-stock-hapi package -DskipTests
fi
./mvnw -B -q -pl fhir-server -Pbench test-compile -Djacoco.skip=true
ours=$(extract_jar "$(ls fhir-server/target/fhir-server-*.jar | grep -v original | head -1)" "$out/app-ours")
stock=$(extract_jar "$(ls bench-stock-hapi/target/bench-stock-hapi-*.jar | grep -v original | head -1)" "$out/app-stock")

port=18470
pid=""
trap '[ -z "$pid" ] || kill "$pid" 2>/dev/null || true' EXIT

# fresh_postgres NAME: an empty database NAME owned by patientkontrakt.
fresh_postgres() {
    PGPASSWORD=patientkontrakt dropdb -h localhost -U patientkontrakt --if-exists "$1"
    PGPASSWORD=patientkontrakt createdb -h localhost -U patientkontrakt "$1"
}

# run_side on|off|stock ROUND: starts that server, times it, runs the client, appends its figures.
run_side() {
    local side=$1 round=$2 app=$ours portal=operation start first ready rss_ready rss_after
    local name="$side" log client
    [ "$rounds" = 1 ] || name="$side-$round"
    log="$out/server-$name.log"
    client="$out/client-$name.txt"
    local args=(--server.port="$port")
    local env=()
    if [ "$side" = stock ]; then
        app=$stock
        portal=include
        args+=(--bench.data-dir="$out/data-$name")
    else
        args+=(--patientkontrakt.data-dir="$out/data-$name")
        [ "$side" = on ] || args+=(--patientkontrakt.validation.benchmark-without-profiles=true)
    fi
    # A fresh database for every server and round, also when OUT is used again.
    rm -rf "$out/data-$name"
    if [ "$db" = postgres ]; then
        local database="pk_bench_stock_$([ "$side" = stock ] && echo hapi || echo "$side")"
        fresh_postgres "$database"
        env=(SPRING_DATASOURCE_URL="jdbc:postgresql://localhost:5432/$database"
            SPRING_DATASOURCE_USERNAME=patientkontrakt SPRING_DATASOURCE_PASSWORD=patientkontrakt)
        [ "$side" = stock ] || env+=(SPRING_PROFILES_ACTIVE=postgres)
    fi

    start=$(date +%s%N)
    env "${env[@]}" java "${jvm[@]}" -jar "$app" "${args[@]}" >"$log" 2>&1 &
    pid=$!
    wait_for_200 "http://127.0.0.1:$port/fhir/metadata" "$pid" "$log"
    first=$(millis_since "$start")
    ready=$first
    if [ "$side" != stock ]; then
        wait_for_200 "http://127.0.0.1:$port/actuator/health/readiness" "$pid" "$log"
        ready=$(millis_since "$start")
    fi
    rss_ready=$(rss_kb "$pid")
    echo "$(date +%T) $side: first 200 on /fhir/metadata after $(seconds "$first") s, ready after" \
        "$(seconds "$ready") s, RSS $((rss_ready / 1024)) MB; running the client"

    ./mvnw -B -q -pl fhir-server -Pbench exec:java@stock-comparison -Djacoco.skip=true -Dexec.args="--base-url \
http://127.0.0.1:$port/fhir --portal-view $portal --contracts ${CONTRACTS:-200} --concurrency ${CONCURRENCY:-8} \
--reads ${READS:-300} --portal-views ${PORTAL_VIEWS:-300} --updates ${UPDATES:-100} \
--read-warm-up ${READ_WARM_UP:-1000}" >"$client" 2>&1 || {
        echo "the client failed against $side; see $client" >&2
        tail -20 "$client" >&2
        exit 1
    }
    rss_after=$(rss_kb "$pid")
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    pid=""
    echo "side=$side round=$round first_ms=$first ready_ms=$ready rss_ready_kb=$rss_ready" \
        "rss_after_kb=$rss_after $(grep '^summary ' "$client" | cut -d' ' -f2-)" >>"$out/figures.txt"
    grep -E '^\|' "$client"
}

: >"$out/figures.txt"
for round in $(seq 1 "$rounds"); do
    order=("${sides[@]}")
    if [ $((round % 2)) = 0 ]; then
        order=()
        for ((i = ${#sides[@]} - 1; i >= 0; i--)); do order+=("${sides[$i]}"); done
    fi
    for side in "${order[@]}"; do
        run_side "$side" "$round"
    done
done

echo
python3 - "$out/figures.txt" "$db" "$jvm_options" "${CONCURRENCY:-8}" <<'EOF'
import statistics, sys
path, db, jvm, clients = sys.argv[1:]
by_round = {}  # side -> round -> figures
went_first = {}  # round -> "on" or "stock", whichever of the two ran first in it
for line in open(path):
    fields = dict(pair.split("=", 1) for pair in line.split())
    side, rnd = fields.pop("side"), fields.pop("round", "1")
    by_round.setdefault(side, {})[rnd] = {k: float(v) for k, v in fields.items()}
    if side in ("on", "stock"):
        went_first.setdefault(rnd, side)
# Each figure's median over the rounds (a single round: its figures).
runs = {side: {key: statistics.median(r[key] for r in rounds.values()) for key in next(iter(rounds.values()))}
        for side, rounds in by_round.items()}
round_count = max(len(rounds) for rounds in by_round.values())
titles = {"on": "this service, validation on", "off": "this service, validation off",
          "stock": "stock HAPI JPA 8.8.0 (no validation)"}
sides = [s for s in ("on", "off", "stock") if s in runs]
mb = lambda kb: f"{kb / 1024:,.0f}"
def cell(side, figure):
    r = runs[side]
    if figure == "start":
        text = f"{r['first_ms'] / 1000:.1f} s"
        return text + (f" (ready {r['ready_ms'] / 1000:.1f} s)" if side != "stock" else "")
    if figure == "rss":
        return f"{mb(r['rss_ready_kb'])} / {mb(r['rss_after_kb'])} MB"
    if figure == "writes":
        return f"{r['contracts_per_s']:.1f} (p50 {r['contracts_p50']:.0f} ms)"
    if figure == "read":
        return f"{r['read_p50']:.1f} / {r['read_p99']:.1f} ms"
    if figure == "portal":
        return f"{r['portal_p50']:.1f} / {r['portal_p99']:.1f} ms"
    if figure == "update":
        return f"{r['update_p50']:.1f} ms"
    return f"{r['errors']:.0f}"
rows = [("start", "first 200 on `/fhir/metadata` (ready: readiness UP)"),
        ("rss", "RSS when ready / after the load"),
        ("writes", f"new contracts per second, {clients} clients"),
        ("read", "read by id p50 / p99"),
        ("portal", "portal view p50 / p99 (stock: the same `_include` search)"),
        ("update", "contract update p50 (validated on, unvalidated off and stock)"),
        ("errors", "errors (any answer not 2xx)")]
print(f"Database: {db}; JVM options: {jvm}" + (f"; medians of {round_count} rounds" if round_count > 1 else ""))
print("| figure | " + " | ".join(titles[s] for s in sides) + " |")
print("|---|" + "---|" * len(sides))
for key, title in rows:
    print(f"| {title} | " + " | ".join(cell(s, key) for s in sides) + " |")
if {"on", "off", "stock"} <= runs.keys():
    on, off, stock = runs["on"], runs["off"], runs["stock"]
    print()
    print("Against issue 24's targets:")
    print(f"- validated new contracts per second ÷ stock's: {on['contracts_per_s'] / stock['contracts_per_s']:.2f}× (target ≥ 0.9×)")
    print(f"- validated ÷ unvalidated contract update p50: {on['update_p50'] / off['update_p50']:.2f}× (target ≤ 1.2×);"
          f" ÷ stock's: {on['update_p50'] / stock['update_p50']:.2f}×")
    print(f"- RSS ÷ stock's, when ready / after the load: {on['rss_ready_kb'] / stock['rss_ready_kb']:.2f}× /"
          f" {on['rss_after_kb'] / stock['rss_after_kb']:.2f}× (target ≤ 0.8×)")
    print(f"- ready (validation on) ÷ stock's first 200: {on['ready_ms'] / stock['first_ms']:.2f}× (target ≤ 0.6×)")
    print(f"- read by id p50 ÷ stock's: {on['read_p50'] / stock['read_p50']:.2f}×; portal view p50 ÷ stock's"
          f" `_include` search: {on['portal_p50'] / stock['portal_p50']:.2f}×")
if round_count > 1 and {"on", "stock"} <= runs.keys():
    # Each round's ratios, so that the spread shows beside the medians.
    print()
    print("Round by round, this service with validation on ÷ the stock server (first: the side that went first):")
    print("| round | first | ready | RSS ready | RSS after | writes | read p50 | portal p50 |")
    print("|---|---|---|---|---|---|---|---|")
    for rnd in sorted(by_round["on"].keys() & by_round["stock"].keys(), key=int):
        on, stock = by_round["on"][rnd], by_round["stock"][rnd]
        ratio = lambda key, base=None: f"{on[key] / stock[base or key]:.2f}×"
        print(f"| {rnd} | {went_first[rnd]} | {ratio('ready_ms', 'first_ms')} | {ratio('rss_ready_kb')} | {ratio('rss_after_kb')}"
              f" | {ratio('contracts_per_s')} | {ratio('read_p50')} | {ratio('portal_p50')} |")
EOF
