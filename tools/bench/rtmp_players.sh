#!/usr/bin/env bash
# RTMP players benchmark: SwiftSRS vs nginx-rtmp (Debian libnginx-mod-rtmp, 1 worker), same
# publisher, same load client, one table.
#
# For each player count and each server, in turn: start the server on a free loopback port,
# publish a pre-encoded 1280x720 H.264+AAC FLV with `ffmpeg -re -stream_loop -1 -c copy`
# (almost no CPU), wait until a probe player gets a keyframe, then run `srs-bench play` with N
# players. srs-bench samples the server's CPU (utime+stime from /proc/PID/stat, all its
# processes) and RSS (VmRSS, summed) over the same steady window it measures Mbps on.
#
# Environment (defaults in brackets):
#   PLAYERS   player counts to run ["100 300 600"]
#   SERVERS   servers to run, any of: swiftsrs nginx ["swiftsrs nginx"]
#   WORKERS   SwiftSRS worker_processes values to run, e.g. "1 2" [1]
#   MW        SwiftSRS merged-write settings to run, each "mw_msgs/mw_latency" written into
#             `play { }`, or "-" for the server's defaults (8/350), e.g. "- 0/0 32/350" [-]
#   MW_MSGS, MW_LATENCY  one setting, instead of MW (MW_MSGS=0 alone: "0/350")
#   LATE      players that join one by one in the first half of the window, while the others
#             play; their first frame is the "late joiner" column [20]
#   RATE      new connections per second [50]
#   WARMUP    seconds after the ramp before the window [3]
#   DURATION  window seconds; keep it a multiple of CLIP_SECONDS so every server gets the same
#             slice of content [20]
#   CLIP_SECONDS  length of the looped clip [10]     BITRATE  video bitrate [2400k]
#   CLIP      use this FLV instead of encoding one
#   IDLE_WAIT seconds to wait for the machine to be idle (< 10% of a core busy) before each run [120]
#   PIN       1: server on SERVER_CPUS, publisher and client on CLIENT_CPUS (taskset) [1]
#   SERVER_CPUS [0; all CPUs for SwiftSRS runs with more than one worker]   CLIENT_CPUS [1]
#   SRS_BIN   server binary (else `make build` → ./objs/srs)
#   BENCH_BIN srs-bench binary (else the release build of the srs-bench product)
#   SCRATCH   build both binaries with `swift build --scratch-path $SCRATCH` instead of make
#   RESULTS   file to append one JSON line per run to [./objs/bench/rtmp_players.jsonl]
set -euo pipefail
cd "$(dirname "$0")/../.."

PLAYERS=${PLAYERS:-"100 300 600"}
SERVERS=${SERVERS:-"swiftsrs nginx"}
WORKERS=${WORKERS:-1}
if [ -z "${MW:-}" ] && { [ -n "${MW_MSGS:-}" ] || [ -n "${MW_LATENCY:-}" ]; }; then
    MW="${MW_MSGS:-8}/${MW_LATENCY:-350}"
fi
MW=${MW:--}
LATE=${LATE:-20}
RATE=${RATE:-50}
WARMUP=${WARMUP:-3}
DURATION=${DURATION:-20}
CLIP_SECONDS=${CLIP_SECONDS:-10}
BITRATE=${BITRATE:-2400k}
PIN=${PIN:-1}
IDLE_WAIT=${IDLE_WAIT:-120}
CLIENT_CPUS=${CLIENT_CPUS:-1}
NGINX_MODULE=/usr/lib/nginx/modules/ngx_rtmp_module.so

say() { echo "rtmp_players: $*" >&2; }
die() { say "$*"; exit 1; }

tmp=$(mktemp -d /tmp/rtmp-players.XXXXXX)
RESULTS=${RESULTS:-$PWD/objs/bench/rtmp_players.jsonl}
mkdir -p "$(dirname "$RESULTS")"
pids=()

# Stops one process: TERM, up to 5 s, then KILL; reaps it if it is our child.
stop_pid() {
    local pid=$1
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}
cleanup() {
    local pid
    for pid in "${pids[@]}"; do stop_pid "$pid"; done
    pids=()
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- tools -----------------------------------------------------------------------------------
need=()
command -v ffmpeg >/dev/null 2>&1 || need+=(ffmpeg)
[ -x /usr/sbin/nginx ] || need+=(nginx)
[ -f "$NGINX_MODULE" ] || need+=(libnginx-mod-rtmp)
command -v taskset >/dev/null 2>&1 || need+=(util-linux)
command -v ss >/dev/null 2>&1 || need+=(iproute2)
command -v pgrep >/dev/null 2>&1 || need+=(procps)
if [ ${#need[@]} -gt 0 ]; then
    say "installing ${need[*]}"
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# Release builds: `make build` (./objs/srs), or with SCRATCH a `swift build --scratch-path
# $SCRATCH` of both products (keeps out of the way of another build using .build).
build_flags=(-c release --static-swift-stdlib ${SCRATCH:+--scratch-path "$SCRATCH"})
if [ -z "${SRS_BIN:-}" ]; then
    if [ -n "${SCRATCH:-}" ]; then
        swift build "${build_flags[@]}" --product srs >&2
        SRS_BIN=$(swift build "${build_flags[@]}" --show-bin-path)/srs
    else
        make build >&2
        SRS_BIN=$PWD/objs/srs
    fi
fi
if [ -z "${BENCH_BIN:-}" ]; then
    swift build "${build_flags[@]}" --product srs-bench >&2
    BENCH_BIN=$(swift build "${build_flags[@]}" --show-bin-path)/srs-bench
fi
[ -x "$SRS_BIN" ] || die "no server binary at $SRS_BIN"
[ -x "$BENCH_BIN" ] || die "no srs-bench binary at $BENCH_BIN"

ncpu=$(nproc)
if [ "$PIN" = 1 ] && [ "$ncpu" -lt 2 ]; then say "one CPU: not pinning"; PIN=0; fi

# --- helpers ---------------------------------------------------------------------------------
# Sets `port` to a loopback port nobody listens on (and that this run did not use yet), below
# the ephemeral range: thousands of player connections use ephemeral ports, and a listener
# cannot bind a port that a connection uses as its local port.
used_ports=" "
ephemeral_low=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
free_port() {
    local p span=$(( ephemeral_low > 12000 ? ephemeral_low - 10000 : 2000 ))
    for _ in $(seq 200); do
        p=$(( 10000 + RANDOM % span ))
        case "$used_ports" in *" $p "*) continue ;; esac
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then used_ports+="$p "; port=$p; return 0; fi
    done
    die "no free port found"
}

# Waits up to $2 seconds for a listener on 127.0.0.1:$1.
wait_port() {
    for _ in $(seq $(( $2 * 10 ))); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}

# The pid and all its descendants, comma-separated (nginx master+worker, srs master+workers).
pid_tree() {
    local all=$1 queue=("$1") p k
    while [ ${#queue[@]} -gt 0 ]; do
        p=${queue[0]}; queue=("${queue[@]:1}")
        for k in $(pgrep -P "$p" || true); do all="$all,$k"; queue+=("$k"); done
    done
    echo "$all"
}

# Pids listening on 127.0.0.1:$1 that are not in the comma-separated tree $2. Listeners use
# SO_REUSEPORT: another server binding the same port later would silently take a share of the
# players, so a run is only valid if the port stayed ours.
port_intruders() {
    local p
    for p in $(ss -Hltnp "( sport = :$1 )" | grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -u); do
        case ",$2," in *",$p,"*) ;; *) echo "$p" ;; esac
    done
}

# A flat JSON field of one srs-bench --json line (keys in it are unique).
jget() { sed -n "s/.*\"$1\":\\([^,}]*\\).*/\\1/p" <<<"$2" | tr -d '"'; }
# The same, as a number with one decimal ("-" when absent).
jnum() { awk -v v="$(jget "$1" "$2")" 'BEGIN { if (v == "" || v == "null") print "-"; else printf "%.1f", v }'; }

# How busy the whole machine is over one second, in percent of one core (nothing of ours runs).
machine_busy() {
    local a b
    a=$(head -1 /proc/stat); sleep 1; b=$(head -1 /proc/stat)
    awk -v a="$a" -v b="$b" -v n="$ncpu" 'BEGIN {
        split(a, x, " "); split(b, y, " "); t = 0; idle = 0
        for (i = 2; i <= 9; i++) t += y[i] - x[i]
        idle = (y[5] - x[5]) + (y[6] - x[6])
        printf "%d", (t > 0 ? (t - idle) * 100 * n / t : 0) }'
}

# "0-2,5" → "0,1,2,5".
cpu_list() {
    local out="" part
    for part in ${1//,/ }; do
        if [[ $part == *-* ]]; then out+="$(seq -s, "${part%-*}" "${part#*-}"),"; else out+="$part,"; fi
    done
    echo "${out%,}"
}

pin() { if [ "$PIN" = 1 ]; then echo "taskset -c $1"; fi; }

# --- the clip --------------------------------------------------------------------------------
if [ -z "${CLIP:-}" ]; then
    CLIP=$tmp/clip.flv
    say "encoding a ${CLIP_SECONDS}s 1280x720 H.264+AAC clip at $BITRATE"
    ffmpeg -hide_banner -loglevel error -nostdin -y \
        -f lavfi -i "testsrc2=size=1280x720:rate=25" -f lavfi -i "sine=frequency=440:sample_rate=44100" \
        -t "$CLIP_SECONDS" -c:v libx264 -preset veryfast -b:v "$BITRATE" -maxrate "$BITRATE" -bufsize "$BITRATE" \
        -g 50 -keyint_min 50 -sc_threshold 0 -pix_fmt yuv420p -c:a aac -b:a 96k -f flv "$CLIP"
fi
[ -s "$CLIP" ] || die "no clip at $CLIP"

# --- servers ---------------------------------------------------------------------------------
# Starts a server on $port; sets server_pid. $1 = swiftsrs|nginx, $2 = workers, $3 = merged
# writes "msgs/latency" or "-" (swiftsrs).
start_server() {
    local kind=$1 workers=$2 mw=$3 dir=$tmp/$1-$2-$port cpus mw_conf=""
    mkdir -p "$dir"
    if [ "$kind" = swiftsrs ]; then
        if [ "$mw" != - ]; then
            mw_conf="        mw_msgs     ${mw%/*};
        mw_latency  ${mw#*/};"
        fi
        cat >"$dir/srs.conf" <<EOF
listen              $port;
max_connections     20000;
daemon              off;
srs_log_tank        file;
srs_log_file        $dir/srs.log;
pid                 $dir/srs.pid;
worker_processes    $workers;
vhost __defaultVhost__ {
    play {
        gop_cache   on;
$mw_conf
    }
}
EOF
        cpus=${SERVER_CPUS:-0}
        [ "$workers" -gt 1 ] && cpus=${SERVER_CPUS:-0-$((ncpu - 1))}
        # shellcheck disable=SC2046
        $(pin "$cpus") "$SRS_BIN" -c "$dir/srs.conf" >"$dir/stdout.log" 2>&1 &
    else
        mkdir -p "$dir/logs"
        cat >"$dir/nginx.conf" <<EOF
load_module $NGINX_MODULE;
worker_processes 1;
daemon off;
master_process on;
pid $dir/nginx.pid;
error_log $dir/logs/error.log warn;
worker_rlimit_nofile 20000;
events {
    worker_connections 20000;
}
rtmp {
    server {
        listen $port;
        application live {
            live on;
        }
    }
}
EOF
        cpus=${SERVER_CPUS:-0}
        # shellcheck disable=SC2046
        $(pin "$cpus") /usr/sbin/nginx -p "$dir" -e "$dir/logs/error.log" -c "$dir/nginx.conf" >"$dir/stdout.log" 2>&1 &
    fi
    server_pid=$!
    pids+=("$server_pid")
    server_dir=$dir
    # The server's CPUs as a list for srs-bench, when it runs alone on them (pinned, not
    # sharing with the client): their busy time includes the kernel's softirq work for it.
    server_cpu_list=""
    if [ "$PIN" = 1 ]; then
        server_cpu_list=$(cpu_list "$cpus")
        case ",$server_cpu_list," in *",$(cpu_list "$CLIENT_CPUS"),"*) server_cpu_list="" ;; esac
    fi
    wait_port "$port" 10 || { cat "$dir"/*.log >&2 || true; die "$kind did not listen on $port"; }
}

# One measurement of (server, workers, players) on a fresh server and publisher. Sets `json`
# and `note`; returns 3 when another process shared the port (the run is not valid).
attempt() {
    local kind=$1 workers=$2 mw=$3 n=$4 name=$5 pub_pid rc ok=0 tree budget intruders busy others
    json="" note=""
    # Other work on the machine skews both CPU and latency: wait a while for it to end, and
    # say so in the row if it does not.
    local waited=0
    busy=$(machine_busy)
    while [ "$busy" -ge 10 ] && [ "$waited" -lt "$IDLE_WAIT" ]; do
        busy=$(machine_busy); waited=$((waited + 1))
    done
    [ "$busy" -lt 10 ] || note="machine ${busy}% busy before the run"
    free_port
    start_server "$kind" "$workers" "$mw"
    local url=rtmp://127.0.0.1:$port/live/bench
    # shellcheck disable=SC2046
    $(pin "$CLIENT_CPUS") ffmpeg -hide_banner -loglevel error -nostdin -re -stream_loop -1 -i "$CLIP" \
        -c copy -f flv "$url" >"$server_dir/publisher.log" 2>&1 &
    pub_pid=$!
    pids+=("$pub_pid")
    for _ in $(seq 10); do
        if "$BENCH_BIN" play --url "$url" --players 1 --warmup 0 --duration 3 --timeout-ms 4000 >/dev/null 2>&1; then
            ok=1; break
        fi
        kill -0 "$pub_pid" 2>/dev/null || break
    done
    [ "$ok" = 1 ] || { cat "$server_dir"/*.log >&2 || true; die "$kind: no stream at $url"; }

    tree=$(pid_tree "$server_pid")
    budget=$(awk -v n="$n" -v r="$RATE" -v w="$WARMUP" -v d="$DURATION" 'BEGIN { printf "%d", n / r + w + d + 60 }')
    set +e
    # shellcheck disable=SC2046
    json=$(timeout "$budget" $(pin "$CLIENT_CPUS") "$BENCH_BIN" play --url "$url" --players "$n" --rate "$RATE" \
        --warmup "$WARMUP" --duration "$DURATION" --late-joiners "$LATE" \
        --pids "$tree" --exclude-pids "$pub_pid" ${server_cpu_list:+--server-cpus "$server_cpu_list"} \
        --label "$name" --json 2>"$server_dir/bench.err")
    rc=$?
    set -e
    kill -0 "$server_pid" 2>/dev/null || note="server died${note:+; $note}"
    intruders=$(port_intruders "$port" "$tree" | tr '\n' ' ')
    stop_pid "$pub_pid"
    stop_pid "$server_pid"
    pids=()
    [ -n "$json" ] || note="srs-bench failed rc=$rc: $(tail -1 "$server_dir/bench.err")"
    # Other work that started during the run (the idle check only looks before it).
    others=$(jget others_cpu_percent "$json")
    if [ -n "$others" ] && awk -v o="$others" 'BEGIN { exit !(o >= 10) }'; then
        note="others used ${others}% CPU during the window${note:+; $note}"
    fi
    if [ -n "$intruders" ]; then
        note="INVALID: pids $intruders also listened on port $port"
        return 3
    fi
    return 0
}

# Runs one (server, workers, merged writes, players) combination (again on another port if
# the port was shared); prints a table row and appends the JSON to $RESULTS.
run_one() {
    local kind=$1 workers=$2 mw=$3 n=$4 name=$1 ff late delay gap try split
    if [ "$kind" = swiftsrs ]; then
        name="swiftsrs ${workers}w"
        [ "$mw" = - ] || name+=" mw $mw"
    fi
    for try in 1 2 3; do
        attempt "$kind" "$workers" "$mw" "$n" "$name" && break
        say "$name, $n players: $note (try $try)"
    done
    if [ -z "$json" ]; then
        say "$name: $note"
        printf '| %s | %s | - | - | - | - | - | - | - | - | - | - | - | - | %s |\n' "$n" "$name" "$note"
        return 0
    fi
    echo "$json" >>"$RESULTS"
    # p50/p99 also appear under startup_ms: read them from the first_frame_ms object.
    ff=$(sed -n 's/.*"first_frame_ms":{\([^}]*\)}.*/\1/p' <<<"$json")
    late=$(sed -n 's/.*"late_first_frame_ms":{\([^}]*\)}.*/\1/p' <<<"$json")
    delay=$(sed -n 's/.*"delay_ms":{\([^}]*\)}.*/\1/p' <<<"$json")
    gap=$(sed -n 's/.*"player_max_gap_ms":{\([^}]*\)}.*/\1/p' <<<"$json")
    if [ -n "$late" ] && [ "$(jget no_keyframe "$late")" != 0 ]; then
        note="$(jget no_keyframe "$late") late joiners without a keyframe${note:+; $note}"
    fi
    if [ "$workers" -gt 1 ]; then
        # How the load split between master and workers (pid order: master first).
        split=$(sed -n 's/.*"server_cpu_by_pid":{\([^}]*\)}.*/\1/p' <<<"$json" | sed 's/"[0-9]*"://g; s/,/ \/ /g')
        note="CPU by process: $split${note:+; $note}"
    fi
    printf '| %s | %s | %s | %s | %s | %s | %s | %s / %s | %s / %s | %s / %s | %s | %s/%s/%s | %s | %s |\n' \
        "$n" "$name" "$(jget playing "$json")" "$(jnum mbps "$json")" "$(jnum server_cpu_percent "$json")" \
        "$(jnum server_cpus_busy_percent "$json")" \
        "$(jnum server_rss_mb "$json")" "$(jnum p50 "$ff")" "$(jnum p99 "$ff")" \
        "$(jnum p50 "$late")" "$(jnum p99 "$late")" "$(jnum p50 "$delay")" "$(jnum p99 "$delay")" "$(jnum p99 "$gap")" \
        "$(jget failed "$json")" "$(jget dropped "$json")" "$(jget stalled "$json")" \
        "$(jnum client_cpu_percent "$json")" "$note"
}

# --- run -------------------------------------------------------------------------------------
say "server $SRS_BIN ($("$SRS_BIN" -v 2>&1 | head -1)), nginx $(/usr/sbin/nginx -v 2>&1 | sed 's/.*\///'), $ncpu CPUs"
say "clip $CLIP; players '$PLAYERS' at $RATE/s, warmup ${WARMUP}s, window ${DURATION}s, $LATE late joiners; results in $RESULTS"
say "SwiftSRS workers '$WORKERS', merged writes (mw_msgs/mw_latency) '$MW'"
if [ "$PIN" = 1 ]; then
    say "pinned: server on CPU ${SERVER_CPUS:-0} (all CPUs for SwiftSRS with >1 worker), publisher + client on CPU $CLIENT_CPUS"
fi
echo
echo "| players | server | playing | Mbps | server CPU % | server core busy % | RSS MB | first frame p50 / p99 ms | late joiner p50 / p99 ms | delay p50 / p99 ms | largest gap p99 ms | failed/dropped/stalled | client CPU % | note |"
echo "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
for n in $PLAYERS; do
    for kind in $SERVERS; do
        case "$kind" in
            swiftsrs) for w in $WORKERS; do for mw in $MW; do run_one swiftsrs "$w" "$mw" "$n"; done; done ;;
            nginx) run_one nginx 1 - "$n" ;;
            *) die "unknown server $kind (want swiftsrs or nginx)" ;;
        esac
    done
done
echo
say "CPU % is of one core (200 = two cores busy), summed over the server's processes; RSS summed."
say "core busy % is /proc/stat for the server's pinned CPU(s): process CPU plus softirq work done there."
say "nginx-rtmp has no GOP cache: its players wait for the next keyframe (GOP 2 s here)."
say "first frame: connect start to the first keyframe, all N players (joined during the ramp);"
say "late joiner: the same for $LATE players joining one by one while the N play."
say "delay: each message's (arrival - timestamp) above its player's smallest, over the window;"
say "largest gap: p99 over players of each one's longest time between two media arrivals."
