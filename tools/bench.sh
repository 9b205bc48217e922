#!/usr/bin/env bash
# make bench: our servers against the Node.js reference, same load generator.
#
#   tools/bench.sh [--quick] [--only REGEX] [--keep-going]
#
# For every workload: start our server (build/sio-echo, or build/eio-echo for
# the Engine.IO figures) pinned to CPU 0, run build/sio_loadgen pinned to
# CPU 1 against it, stop it; then the same against Node (tools/bench/server.mjs,
# socket.io 4.8, or engine.io with --eio). The load generator reads the
# server's CPU time (utime+stime of /proc/PID/stat) at the start and end of
# the measured window and its RSS (VmRSS of /proc/PID/status) before any
# client connects and at the end, so connection set-up is not counted as load.
#
# The chat and cluster workloads run build/sio-server's room chat (Node:
# server.mjs --chat): one process alone, one process with --redis, and two
# processes joined through Redis (Node: @socket.io/redis-adapter), one per
# CPU, the load generator and redis-server (started here, stopped by PID)
# left to the scheduler.
#
# Prints a Markdown table (workload, metric, ours, node, ours/node, better)
# and keeps every raw result under build/bench/<date>/.
#   --quick        a subset, about one minute
#   --only REGEX   only the workloads whose name matches (grep -E)
# Every server is started by this script, and only those PIDs are stopped.
# Targets only 127.0.0.1; each run is bounded by --duration and stops by itself.
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root" || exit 2

QUICK=0
ONLY=""
while [ $# -gt 0 ]; do
    case $1 in
        --quick) QUICK=1 ;;
        --only) ONLY=$2; shift ;;
        -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
        *) echo "bench: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done

BUILD=${BUILD:-build}
LOADGEN=$BUILD/sio_loadgen
OURS_SIO=$BUILD/sio-echo
OURS_EIO=$BUILD/eio-echo
OURS_CHAT=$BUILD/sio-server
NODE_SERVER=tools/bench/server.mjs

# --- prerequisites ------------------------------------------------------------

ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
NOFILE=$(ulimit -n)

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "bench: node and npm are needed (apt-get install nodejs npm)" >&2
    exit 2
fi
if [ ! -f tools/bench/node_modules/socket.io/package.json ] ||
   [ ! -f tools/bench/node_modules/engine.io/package.json ] ||
   [ ! -f tools/bench/node_modules/@socket.io/redis-adapter/package.json ]; then
    echo "bench: installing the reference server's dependencies (npm ci in tools/bench)" >&2
    (cd tools/bench && npm ci --no-audit --no-fund --loglevel=error) || { echo "bench: npm ci failed" >&2; exit 2; }
fi
make --no-print-directory -s BUILD="$BUILD" "$OURS_SIO" "$OURS_EIO" "$OURS_CHAT" "$LOADGEN" || { echo "bench: build failed" >&2; exit 2; }

NCPU=$(nproc)
if [ "$NCPU" -ge 2 ] && command -v taskset >/dev/null; then
    PIN=1
    PINNING="server on CPU 0, load generator on CPU 1 (taskset); two-server workloads: one server per CPU, the load generator and redis-server unpinned"
else
    PIN=0
    PINNING="no pinning (fewer than 2 CPUs or no taskset)"
fi
# pin CPU: the taskset prefix of a command, or nothing
pin() { [ "$PIN" = 1 ] && echo "taskset -c $1"; }

STAMP=$(date -u +%Y%m%dT%H%M%SZ)
RES=$BUILD/bench/$STAMP
mkdir -p "$RES"
# Server ports below the ephemeral range (/proc/sys/net/ipv4/ip_local_port_range),
# so that no client socket of an earlier run holds the next server's port.
eph_lo=$(awk '{ print $1 }' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
PORT=$((eph_lo > 20000 ? 10000 + RANDOM % (eph_lo - 12000) : 1024 + RANDOM % 8000))

# --- running servers and one load ---------------------------------------------

SERVER_PIDS=()
REDIS_PID=""
cleanup() {
    local pid
    for pid in "${SERVER_PIDS[@]}" $REDIS_PID; do
        kill -TERM "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    SERVER_PIDS=()
    REDIS_PID=""
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM

listening() { ss -Hltn "sport = :$1" 2>/dev/null | grep -q .; }

# wait_listening PID PORT: until PORT accepts, or PID is gone, 10 s at most
wait_listening() {
    local i
    for i in $(seq 1 100); do
        listening "$2" && return 0
        kill -0 "$1" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}

# The redis-server of the Redis workloads, started when the first needs it.
REDIS_URL=""
start_redis() {
    [ -n "$REDIS_PID" ] && return 0
    command -v redis-server >/dev/null || { echo "bench: redis-server not found (tools/install-deps.sh)" >&2; return 1; }
    local port=$((PORT + 500))
    while listening "$port"; do port=$((port + 1)); done
    redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize no \
        >>"$RES/redis.log" 2>&1 &
    REDIS_PID=$!
    if ! wait_listening "$REDIS_PID" "$port"; then
        echo "bench: redis-server did not start on port $port" >&2
        kill -TERM "$REDIS_PID" 2>/dev/null
        REDIS_PID=""
        return 1
    fi
    REDIS_URL="redis://127.0.0.1:$port"
}

# start_server ours|node KIND PORT CPU: one server, pinned to CPU; appended
# to SERVER_PIDS. KIND: sio, eio, chat, chat-redis (the chat with --redis).
start_server() {
    local impl=$1 kind=$2 port=$3 cpu=$4
    local cmd
    if [ "$impl" = ours ]; then
        case $kind in
            eio) cmd=("$OURS_EIO" --port "$port") ;;
            sio) cmd=("$OURS_SIO" --port "$port") ;;
            chat*) cmd=("$OURS_CHAT" --port "$port" --log-level warn) ;;
        esac
    else
        cmd=(node "$NODE_SERVER" --port "$port")
        case $kind in
            eio) cmd+=(--eio) ;;
            chat*) cmd+=(--chat) ;;
        esac
    fi
    if [ "$kind" = chat-redis ]; then
        start_redis || return 1
        cmd+=(--redis "$REDIS_URL")
    fi
    # shellcheck disable=SC2046
    $(pin "$cpu") "${cmd[@]}" >>"$RES/servers.log" 2>&1 &
    local pid=$!
    SERVER_PIDS+=("$pid")
    wait_listening "$pid" "$port" && return 0
    echo "bench: $impl $kind server did not start on port $port" >&2
    stop_servers
    return 1
}

stop_servers() {
    local pid i
    for pid in "${SERVER_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
    for pid in "${SERVER_PIDS[@]}"; do
        for i in $(seq 1 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    SERVER_PIDS=()
}

# run NAME KIND LOADGEN-ARGS...: both implementations, results in
# $RES/NAME.{ours,node}. KIND: as start_server's, or cluster (two chat
# servers with --redis, one per CPU, the load generator unpinned).
run() {
    local name=$1 kind=$2
    shift 2
    if [ -n "$ONLY" ] && ! grep -qE "$ONLY" <<<"$name"; then
        return 1
    fi
    local n=1 skind=$kind gen_cpu=1
    [ "$kind" = cluster ] && { n=2; skind=chat-redis; gen_cpu=""; }
    local impl
    for impl in ours node; do
        local out=$RES/$name.$impl try started=0 ports=() k
        echo "bench: $name ($impl)" >&2
        for try in 1 2 3; do
            ports=()
            for k in $(seq 1 $n); do
                PORT=$((PORT + 1))
                while listening "$PORT"; do PORT=$((PORT + 1)); done
                start_server "$impl" "$skind" "$PORT" $((k - 1)) || continue 2
                ports+=("$PORT")
            done
            started=1
            break
        done
        if [ $started = 0 ]; then
            echo "failed: server did not start" >"$out"
            continue
        fi
        local eioflag=()
        [ "$kind" = eio ] && eioflag=(--eio)
        local port_list pid_list
        port_list=$(IFS=,; echo "${ports[*]}")
        pid_list=$(IFS=,; echo "${SERVER_PIDS[*]}")
        # shellcheck disable=SC2046
        $([ -n "$gen_cpu" ] && pin "$gen_cpu") "$LOADGEN" --port "$port_list" --server-pid "$pid_list" \
            "${eioflag[@]}" "$@" >"$out" 2>"$out.log"
        local rc=$? pid
        for pid in "${SERVER_PIDS[@]}"; do
            if ! kill -0 "$pid" 2>/dev/null; then
                echo "server_died: 1" >>"$out"
                echo "bench: an $impl server died during $name" >&2
            fi
        done
        stop_servers
        [ $rc -eq 0 ] || echo "loadgen_exit: $rc" >>"$out"
        sleep 0.5
    done
    return 0
}

val() { # FILE KEY
    awk -F': ' -v k="$2" '$1 == k { print $2; exit }' "$1" 2>/dev/null
}

ROWS=()
NOTES=()
fmt() { # number -> compact
    awk -v v="$1" 'BEGIN { if (v == "") { print "-"; exit }
        a = v < 0 ? -v : v
        if (a >= 100) printf "%.0f", v; else if (a >= 10) printf "%.1f", v; else printf "%.2f", v }'
}

# compare OURS NODE higher|lower: "ratio better" (ours/node, and which is
# better: ours, node, = or -).
compare() {
    awk -v a="$1" -v b="$2" -v d="$3" 'BEGIN {
        r = (a == "" || b == "" || b + 0 == 0) ? "-" : sprintf("%.2f", a / b)
        if (a == "" || b == "") w = "-"
        else if (a + 0 == b + 0) w = "="
        else if ((d == "higher") == (a + 0 > b + 0)) w = "ours"
        else w = "node"
        print r, w }'
}

# row NAME "metric label" KEY higher|lower [scale]
row() {
    local name=$1 label=$2 key=$3 dir=$4 scale=${5:-1}
    local fo=$RES/$name.ours fn=$RES/$name.node
    [ -f "$fo" ] || return 0
    local o n eo en
    o=$(val "$fo" "$key"); n=$(val "$fn" "$key")
    [ -n "$o" ] && o=$(awk -v v="$o" -v s="$scale" 'BEGIN { print v * s }')
    [ -n "$n" ] && n=$(awk -v v="$n" -v s="$scale" 'BEGIN { print v * s }')
    local ratio better
    read -r ratio better < <(compare "$o" "$n" "$dir")
    local so sn
    so=$(fmt "$o"); sn=$(fmt "$n")
    eo=$(val "$fo" errors); en=$(val "$fn" errors)
    [ -n "$eo" ] && [ "$eo" != 0 ] && so="$so ⚠$eo"
    [ -n "$en" ] && [ "$en" != 0 ] && sn="$sn ⚠$en"
    grep -q '^server_died' "$fo" 2>/dev/null && so="$so (server died)"
    grep -q '^server_died' "$fn" 2>/dev/null && sn="$sn (server died)"
    ROWS+=("| $name | $label | $so | $sn | $ratio | $better |")
}

# cost_row NAME "metric label" BASE WITH KEY higher|lower: per implementation,
# KEY of workload WITH divided by KEY of workload BASE (what Redis costs).
cost_row() {
    local name=$1 label=$2 base=$3 with=$4 key=$5 dir=$6
    [ -f "$RES/$with.ours" ] || return 0
    local impl r=() b w
    for impl in ours node; do
        b=$(val "$RES/$base.$impl" "$key"); w=$(val "$RES/$with.$impl" "$key")
        r+=("$(awk -v b="$b" -v w="$w" 'BEGIN { if (b == "" || w == "" || b + 0 == 0) print ""; else printf "%.3f", w / b }')")
    done
    local ratio better
    read -r ratio better < <(compare "${r[0]}" "${r[1]}" "$dir")
    ROWS+=("| $name | $label | ${r[0]:--} | ${r[1]:--} | $ratio | $better |")
}

# chat_workloads CLIENTS: sio-server's room chat (Node: server.mjs --chat),
# bursts of 1 and 16 messages to a room of every client, 10 s each (a burst
# of 16 to 10,000 clients takes Node about 2 s): one process alone,
# one process with --redis, two processes joined through Redis; then what
# Redis costs one process.
chat_workloads() {
    local c=$1 k kind n
    for k in 1 16; do
        for kind in chat chat-redis cluster; do
            case $kind in
                chat) n=chat1-c$c-32B-k$k ;;
                chat-redis) n=chat1-redis-c$c-32B-k$k ;;
                cluster) n=cluster2-redis-c$c-32B-k$k ;;
            esac
            run "$n" $kind --mode broadcast --chat bench --clients "$c" --payload 32 --burst $k --duration 10 \
                --connect-timeout 60 --burst-timeout 10 &&
                { row "$n" "deliveries/s" deliveries_per_s higher
                  row "$n" "burst p99 until last client (ms)" burst_p99_us lower 0.001
                  row "$n" "deliveries / server CPU-s" events_per_server_cpu_s higher; }
        done
        cost_row "redis-cost-c$c-32B-k$k" "deliveries/s, with Redis ÷ alone" \
            "chat1-c$c-32B-k$k" "chat1-redis-c$c-32B-k$k" deliveries_per_s higher
        cost_row "redis-cost-c$c-32B-k$k" "burst p99, with Redis ÷ alone" \
            "chat1-c$c-32B-k$k" "chat1-redis-c$c-32B-k$k" burst_p99_us lower
        # The CPU Redis costs, apart from the waits for a CPU that two
        # single runs on a shared machine rarely have alike.
        cost_row "redis-cost-c$c-32B-k$k" "deliveries / server CPU-s, with Redis ÷ alone" \
            "chat1-c$c-32B-k$k" "chat1-redis-c$c-32B-k$k" events_per_server_cpu_s higher
    done
}

# --- workloads ----------------------------------------------------------------

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
T_START=$(date +%s)

if [ $QUICK = 1 ]; then
    D=3
    run echo-c1000-32B sio --mode echo --clients 1000 --payload 32 --duration $D &&
        row echo-c1000-32B "events / server CPU-s" events_per_server_cpu_s higher
    run ack-c100-32B sio --mode ack --clients 100 --payload 32 --duration $D &&
        row ack-c100-32B "events / server CPU-s" events_per_server_cpu_s higher
    run bcast-c1000-32B-k16 sio --mode broadcast --clients 1000 --payload 32 --burst 16 --duration $D &&
        { row bcast-c1000-32B-k16 "deliveries/s" deliveries_per_s higher
          row bcast-c1000-32B-k16 "burst p99 until last client (ms)" burst_p99_us lower 0.001; }
    run latency-c1000-r20000 sio --mode rate --clients 1000 --rate 20000 --duration $D &&
        { row latency-c1000-r20000 "p50 (µs)" latency_p50_us lower
          row latency-c1000-r20000 "p99 (µs)" latency_p99_us lower
          row latency-c1000-r20000 "p99.9 (µs)" latency_p999_us lower; }
    run idle-c2000-poll5 sio --mode idle --clients 2000 --polling-share 5 --duration $D --connect-timeout 60 &&
        { row idle-c2000-poll5 "RSS per connection (bytes)" rss_per_conn_bytes lower
          row idle-c2000-poll5 "idle server CPU (%)" server_cpu_pct lower; }
    run churn-sio sio --mode churn --clients 50 --duration $D --source-addrs 8 &&
        row churn-sio "handshakes/s" handshakes_per_s higher
    run eio-churn eio --mode churn --clients 50 --duration $D --source-addrs 8 &&
        row eio-churn "WebSocket handshakes/s" handshakes_per_s higher
else
    D=5
    for mode in echo ack; do
        for c in 100 1000; do
            for p in 32 1024; do
                pl=$([ $p = 32 ] && echo 32B || echo 1KB)
                n=$mode-c$c-$pl
                run "$n" sio --mode $mode --clients $c --payload $p --duration $D &&
                    row "$n" "events / server CPU-s" events_per_server_cpu_s higher
            done
        done
    done
    for c in 1000 10000; do
        for p in 32 1024; do
            for k in 1 16; do
                pl=$([ $p = 32 ] && echo 32B || echo 1KB)
                n=bcast-c$c-$pl-k$k
                run "$n" sio --mode broadcast --clients $c --payload $p --burst $k --duration $D \
                    --connect-timeout 60 --burst-timeout 10 &&
                    { row "$n" "deliveries/s" deliveries_per_s higher
                      row "$n" "burst p99 until last client (ms)" burst_p99_us lower 0.001; }
            done
        done
    done
    run latency-c1000-r20000 sio --mode rate --clients 1000 --rate 20000 --duration 10 &&
        { row latency-c1000-r20000 "p50 (µs)" latency_p50_us lower
          row latency-c1000-r20000 "p99 (µs)" latency_p99_us lower
          row latency-c1000-r20000 "p99.9 (µs)" latency_p999_us lower; }
    # Idle: held for 30 s, longer than the default pingInterval (25 s), so
    # every client is pinged and answers during the window.
    for c in 10000 25000; do
        n=idle-c$c-poll5
        need=$((c + c / 20 + 200))
        if [ "$NOFILE" -lt "$need" ]; then
            if [ -z "$ONLY" ] || grep -qE "$ONLY" <<<"$n"; then
                NOTES+=("$n skipped: it needs about $need file descriptors per process, the hard limit here is $NOFILE (ulimit -Hn)")
                ROWS+=("| $n | skipped: ulimit -Hn $NOFILE < $need | - | - | - | - |")
            fi
            continue
        fi
        run "$n" sio --mode idle --clients $c --polling-share 5 --duration 30 --connect-timeout 60 &&
            { row "$n" "RSS per connection (bytes)" rss_per_conn_bytes lower
              row "$n" "idle server CPU (%)" server_cpu_pct lower; }
    done
    run churn-sio sio --mode churn --clients 100 --duration $D --source-addrs 8 &&
        { row churn-sio "handshakes/s" handshakes_per_s higher
          row churn-sio "handshakes / server CPU-s" events_per_server_cpu_s higher; }
    run eio-churn eio --mode churn --clients 100 --duration $D --source-addrs 8 &&
        { row eio-churn "WebSocket handshakes/s" handshakes_per_s higher
          row eio-churn "handshakes / server CPU-s" events_per_server_cpu_s higher; }
    run eio-idle-c10000 eio --mode idle --clients 10000 --duration 10 --connect-timeout 60 &&
        row eio-idle-c10000 "RSS per WebSocket session (bytes)" rss_per_conn_bytes lower
    chat_workloads 10000
fi

T_END=$(date +%s)
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)

# --- report ---------------------------------------------------------------------

cpu_model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
mem=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
lws=$(pkg-config --modversion libwebsockets 2>/dev/null | sed 's/-$//' || echo "?")
sio_ver=$(node -p "require('./tools/bench/node_modules/socket.io/package.json').version" 2>/dev/null)
rev=${BENCH_REV:-$(git rev-parse --short HEAD 2>/dev/null || echo "?")}
dirty=$(git status --porcelain -- src include 2>/dev/null | grep -q . && echo " (+ uncommitted changes in src/ or include/)")

{
    echo "## Results ($([ $QUICK = 1 ] && echo quick || echo full) run, $STAMP)"
    echo
    echo "- command: \`tools/bench.sh$([ $QUICK = 1 ] && echo " --quick")$([ -n "$ONLY" ] && echo " --only '$ONLY'")\` at $rev$dirty"
    echo "- machine: $NCPU CPUs, $cpu_model, $mem RAM, Linux $(uname -r); $PINNING"
    echo "- ours: libwebsockets $lws; node: Node $(node --version), socket.io $sio_ver"
    echo "- load average before/after: $LOAD_START / $LOAD_END; wall time $((T_END - T_START)) s; raw results in $RES/"
    echo
    echo "| workload | metric | ours | node | ours/node | better |"
    echo "|---|---|---:|---:|---:|---|"
    printf '%s\n' "${ROWS[@]}"
    echo
    echo "⚠N: the run had N errors (connect failures, unexpected closes, protocol errors or stalled clients): see the raw result."
    for n in "${NOTES[@]}"; do echo "- $n"; done
    # Other load on the machine makes wall-clock figures unreliable: say so.
    awk -F': ' '$1 == "server_runq_wait_s" || $1 == "gen_runq_wait_s" { s += $2 } END {
        if (s > 5) printf "\nWarning: the server and load generator waited %.0f s in total for a CPU (run-queue wait): other processes were competing; wall-clock figures (per second, latencies) are pessimistic, per-CPU-second figures less so.\n", s }' \
        "$RES"/*.ours "$RES"/*.node 2>/dev/null
} | tee "$RES/table.md"
