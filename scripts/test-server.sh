# Sourced by the scripts that test the built server from outside (run-postman.sh,
# run-browser-tests.sh): start_server starts fhir-server/target/fhir-server-*.jar on a free port
# with a throw-away H2 data directory, waits until it is ready and sets $base to its root URL; the
# server is stopped and the directory removed by stop_server, or when the calling script exits.
# log_tail prints the end of the server log. Extra arguments to start_server go to the server.
#
# Builds nothing: run ./mvnw -B -ntp verify (or package) first. Needs java, node and curl.
# READY_TIMEOUT (seconds, default 600) bounds the wait for /actuator/health/readiness: start-up
# takes about 35 s on an idle machine, minutes on a busy one.

server_work=""
server_pid=""

stop_server() {
    if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
        kill "$server_pid"
        wait "$server_pid" 2>/dev/null || true
    fi
    [ -z "$server_work" ] || rm -rf "$server_work"
    server_pid=""
    server_work=""
}

# The end of the server log without stack frames, which would fill it.
log_tail() {
    grep -v -E '^\s+(at |\.\.\. [0-9]+ (more|common))' "$server_work/server.log" | tail -40 >&2
}

# A port the kernel just handed out; nothing else should take it in the second before it is used.
free_port() {
    node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
}

start_server() {
    local jar ready_timeout port deadline started=$SECONDS
    jar=$(ls fhir-server/target/fhir-server-*.jar 2>/dev/null | grep -v '\.original$' | head -1 || true)
    if [ -z "$jar" ]; then
        echo "no server jar in fhir-server/target; build it first (./mvnw -B -ntp -pl fhir-server package -DskipTests)" >&2
        exit 1
    fi
    ready_timeout="${READY_TIMEOUT:-600}"
    server_work=$(mktemp -d)
    trap stop_server EXIT

    port=$(free_port)
    base="http://127.0.0.1:$port"

    echo "starting $jar on port $port (data in $server_work/data)"
    java -Xmx1g -jar "$jar" --server.port="$port" --patientkontrakt.data-dir="$server_work/data" "$@" \
        >"$server_work/server.log" 2>&1 &
    server_pid=$!

    deadline=$((SECONDS + ready_timeout))
    until curl -sf -o /dev/null "$base/actuator/health/readiness"; do
        if ! kill -0 "$server_pid" 2>/dev/null; then
            echo "the server exited before it was ready; the end of its log:" >&2
            log_tail
            exit 1
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            echo "the server was not ready within ${ready_timeout} s; the end of its log:" >&2
            log_tail
            exit 1
        fi
        sleep 1
    done
    echo "ready after $((SECONDS - started)) s"
}
