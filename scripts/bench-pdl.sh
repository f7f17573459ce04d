#!/usr/bin/env bash
# What Patientdatalagen's read rules cost: the portal view and the work lists read by care users,
# on one database, from two servers side by side — one with the PDL rules on (the production
# default), one with patientkontrakt.pdl.enabled=false — both with access control on and tokens
# from the test issuer (fhir-server/src/test/resources/auth). Rounds alternate which side goes
# first; the summary gives each side's median p50 over the rounds and the ratio on / off.
#
#   scripts/bench-pdl.sh DATABASE COUNT      # a PostgreSQL database loaded with COUNT contracts
#   e.g. LOAD_ONLY=1 STEP=25000 scripts/bench-scale.sh postgres pk_bench_pdl 100000
#        scripts/bench-pdl.sh pk_bench_pdl 100000
#
# The population must be seed 42 with TODAY (default 2026-11-23), loaded by bench-scale.sh: its
# contracts, teams and goals carry the owner labels of their managing unit, as a commission's
# write would. Each request carries the token of a care user at the unit it concerns (the
# contract's unit for the portal view; the fast vårdkontakt's; the unit searched for; a
# vårdcentral for the overdue list), so every answer is the one that unit's user is allowed.
# ROUNDS (default 3) and DURATION (default 20 s per scenario) shorten or lengthen it; OUT
# (default a new directory under /tmp) keeps each run's table; SCENARIOS (default: every read
# scenario of read-latency) names some, e.g. SCENARIOS=portal,national-view,document,pdf for what
# the contract leaving the server costs beside the portal view.
set -euo pipefail
cd "$(dirname "$0")/.."

pg_name="${1:?the PostgreSQL database name}"
count="${2:?the number of contracts loaded}"
today="${TODAY:-2026-11-23}"
rounds="${ROUNDS:-3}"
duration="${DURATION:-20}"
scenarios="${SCENARIOS:+--scenarios $SCENARIOS}"
out="${OUT:-$(mktemp -d /tmp/pk-bench-pdl.XXXXXX)}"
mkdir -p "$out"
echo "results in $out"

jar=$(ls fhir-server/target/fhir-server-*.jar 2>/dev/null | grep -v original | head -1 || true)
if [ -z "$jar" ]; then
    ./mvnw -B -q -ntp -DskipTests package
    jar=$(ls fhir-server/target/fhir-server-*.jar | grep -v original | head -1)
fi
./mvnw -B -q -pl fhir-server -Pbench test-compile -Djacoco.skip=true

declare -A port=([on]=18420 [off]=18421)
declare -A pid=()
trap 'for p in "${pid[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT
start() { # on or off
    SPRING_PROFILES_ACTIVE=postgres \
        SPRING_DATASOURCE_URL="jdbc:postgresql://localhost:5432/$pg_name" \
        SPRING_DATASOURCE_USERNAME=patientkontrakt SPRING_DATASOURCE_PASSWORD=patientkontrakt \
        java -Xmx1g -jar "$jar" --server.port="${port[$1]}" --patientkontrakt.data-dir="$out/data-$1" \
        --spring.security.oauth2.resourceserver.jwt.issuer-uri=https://idp.test.patientkontrakt.se/realms/region \
        --spring.security.oauth2.resourceserver.jwt.audiences=patientkontrakt-fhir \
        --spring.security.oauth2.resourceserver.jwt.public-key-location=file:fhir-server/src/test/resources/auth/issuer-public-key.pem \
        --patientkontrakt.pdl.enabled="$( [ "$1" = on ] && echo true || echo false )" \
        >"$out/server-$1.log" 2>&1 &
    pid[$1]=$!
    for _ in $(seq 1 300); do
        # 401 without a token once the server is ready; 503 before
        [ "$(curl -s -o /dev/null -w '%{http_code}' "http://localhost:${port[$1]}/actuator/health/readiness")" = 200 ] && break
        kill -0 "${pid[$1]}" 2>/dev/null || { echo "the server stopped; see $out/server-$1.log" >&2; exit 1; }
        sleep 1
    done
    echo "$(date +%T) server with PDL $1 ready on port ${port[$1]}"
}
bench() { # side, seconds, file
    ./mvnw -q -pl fhir-server -Pbench exec:java@read-latency -Djacoco.skip=true -Dexec.args="--base-url \
http://localhost:${port[$1]}/fhir --seed 42 --today $today --count $count --concurrency 1 --as care \
--duration $2 --warmup 5 $scenarios" >"$3" 2>&1
}

start on
start off
for side in on off; do
    bench "$side" 10 "$out/warm-$side.txt"
done
for round in $(seq 1 "$rounds"); do
    order=(on off)
    [ $((round % 2)) -eq 0 ] && order=(off on)
    for side in "${order[@]}"; do
        bench "$side" "$duration" "$out/round-$round-$side.txt"
    done
    echo "$(date +%T) round $round done"
done

# The summary: per scenario, each side's median over the rounds of p50 and p99, and errors.
python3 - "$out" "$rounds" <<'EOF'
import re, statistics, sys, pathlib
out, rounds = pathlib.Path(sys.argv[1]), int(sys.argv[2])
rows = {}
for side in ("on", "off"):
    for r in range(1, rounds + 1):
        for line in (out / f"round-{r}-{side}.txt").read_text().splitlines():
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if len(cells) == 8 and re.fullmatch(r"[\d.]+", cells[4] or "x"):
                rows.setdefault(cells[0], {}).setdefault(side, []).append(
                    (float(cells[4]), float(cells[6]), int(cells[2])))
print(f"| scenario | PDL on p50 / p99 ms | PDL off p50 / p99 ms | on / off (p50) | errors |")
print("|---|---:|---:|---:|---:|")
for name, sides in rows.items():
    med = {s: (statistics.median(v[0] for v in sides[s]), statistics.median(v[1] for v in sides[s]))
           for s in ("on", "off")}
    errors = sum(v[2] for s in sides.values() for v in s)
    print(f"| {name} | {med['on'][0]:.1f} / {med['on'][1]:.1f} | {med['off'][0]:.1f} / {med['off'][1]:.1f}"
          f" | {med['on'][0] / med['off'][0]:.2f}× | {errors} |")
EOF
