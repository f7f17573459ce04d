#!/usr/bin/env bash
# Times the six population measures (docs/populations.md) against a running server that holds a
# loaded population: each measure ROUNDS times (default 5) after one unmeasured request, one at a
# time, and prints per measure the median and the slowest time with the report's counts (the
# denominator and numerator of the whole population, the strata). The server must answer without a
# token (as the benchmarks run it) or take the one in TOKEN.
#
#   scripts/bench-population-measures.sh http://127.0.0.1:18420/fhir
#   e.g. after scripts/bench-population.sh, or on the database it loaded with the server started again
#
# YEAR (default the current year) is the period; TARGET_GROUP (default rub-5) the group the
# target-group measures take.
set -euo pipefail

base="${1:?the FHIR base URL of a running server}"
rounds="${ROUNDS:-5}"
year="${YEAR:-$(date +%Y)}"
group="${TARGET_GROUP:-rub-5}"
auth=()
[ -z "${TOKEN:-}" ] || auth=(-H "Authorization: Bearer $TOKEN")

measures=(
    "pk-malgrupp-utan-fast-lakarkontakt&targetGroup=$group"
    "pk-malgrupp-med-patientkontrakt&targetGroup=$group"
    "pk-malgrupp-med-sip&targetGroup=$group"
    "pk-listade-med-fast-lakarkontakt"
    "pk-sabo-med-fast-lakarkontakt"
    "pk-patientkontrakt-per-grupp"
)

body=$(mktemp)
trap 'rm -f "$body"' EXIT
printf '%-60s %8s %8s  %s\n' "measure" "p50 s" "max s" "denominator / numerator, strata"
for measure in "${measures[@]}"; do
    id="${measure%%&*}"
    extra="${measure#"$id"}"
    url="$base/Measure/$id/\$evaluate-measure?periodStart=$year&periodEnd=$year$extra"
    times=()
    for round in $(seq 0 "$rounds"); do
        read -r status seconds < <(curl -s "${auth[@]}" -o "$body" -w '%{http_code} %{time_total}\n' "$url")
        if [ "$status" != 200 ]; then
            echo "$id: HTTP $status" >&2
            head -c 600 "$body" >&2
            echo >&2
            exit 1
        fi
        [ "$round" -eq 0 ] || times+=("$seconds")
    done
    sorted=$(printf '%s\n' "${times[@]}" | sort -n)
    median=$(echo "$sorted" | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }')
    slowest=$(echo "$sorted" | tail -1)
    counts=$(python3 - "$body" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
group = report["group"][0]
counts = {p["code"]["coding"][0]["code"]: p.get("count") for p in group.get("population", [])}
strata = sum(len(s.get("stratum", [])) for s in group.get("stratifier", []))
print(f'{counts.get("denominator", counts.get("initial-population"))} / {counts.get("numerator", "-")}, {strata} strata')
PY
)
    printf '%-60s %8.2f %8.2f  %s\n' "$id${extra:+ ($group)}" "$median" "$slowest" "$counts"
done
