# Sourced by the scripts that time a server's start-up and memory (measure-startup.sh,
# bench-stock.sh). A server is run as a deployment would run it: its Spring Boot jar extracted
# once with Spring Boot's jar tools (extract_jar). wait_for_200 polls a URL until it answers 200
# (failing, with the end of the log, if the process exits first or TIMEOUT seconds, default 600,
# pass); rss_kb reads a process's resident memory (VmRSS); millis_since, seconds and median do
# the arithmetic.

# extract_jar JAR DIRECTORY: extracts JAR into DIRECTORY (emptied first: a rerun with the same
# OUT extracts the jar as built now) and prints the jar to run.
extract_jar() {
    rm -rf "$2"
    java -Djarmode=tools -jar "$1" extract --destination "$2" >/dev/null
    ls "$2"/*.jar | head -1
}

# wait_for_200 URL PID LOG
wait_for_200() {
    local deadline=$((SECONDS + ${TIMEOUT:-600}))
    until curl -sf -o /dev/null "$1"; do
        if ! kill -0 "$2" 2>/dev/null; then
            echo "the server exited; the end of its log ($3):" >&2
            tail -20 "$3" >&2
            return 1
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            echo "no 200 from $1 within ${TIMEOUT:-600} s; the end of the log ($3):" >&2
            tail -20 "$3" >&2
            return 1
        fi
        sleep 0.1
    done
}

# rss_kb PID
rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }

# millis_since START, START from date +%s%N
millis_since() { echo $((($(date +%s%N) - $1) / 1000000)); }

seconds() { awk -v ms="$1" 'BEGIN {printf "%.1f", ms / 1000}'; }

median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
