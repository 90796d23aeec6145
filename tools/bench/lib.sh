# Shared by the RTMP benchmarks (rtmp_players.sh, rtmp_publishers.sh); sourced, not run.
#
# The caller sets BENCH_NAME, then sources this from the repository root. It provides: a scratch
# dir ($tmp) and a list of the pids it started ($pids) that are stopped on any exit (error,
# Ctrl-C, TERM); the tools (apt-get when missing); the binaries (SwiftSRS, srs-bench, SRS 7);
# free loopback ports; the three servers' configs and start-up; srs-bench runs that a signal can
# interrupt; machine idleness; and the table of medians over interleaved rounds.
#
# Environment read here (defaults in brackets):
#   SRS_BIN   SwiftSRS binary (else `make build` → ./objs/srs, or the SCRATCH build)
#   BENCH_BIN srs-bench binary (else the release build of the srs-bench product)
#   SCRATCH   build both with `swift build --scratch-path $SCRATCH` instead of make
#   SRS7_BIN  SRS 7 binary, for SERVERS with "srs" (tools/bench/build_srs.sh builds it; else
#             $SRS_SRC/trunk/objs/srs when SRS_SRC is set)
#   PIN [1]  SERVER_CPUS [0]  CLIENT_CPUS [1]  IDLE_WAIT [120]
#   NETNS     1: the load client in its own network namespace, reaching the servers over a
#             veth pair whose two ends hand received packets (RPS) to the receiver's CPUs, as
#             two hosts would: on loopback the sender's CPU runs the receiver's TCP input too
#             (see docs/benchmarks.md "Loopback or a veth pair") [0]

PIN=${PIN:-1}
IDLE_WAIT=${IDLE_WAIT:-120}
CLIENT_CPUS=${CLIENT_CPUS:-1}
NGINX_MODULE=/usr/lib/nginx/modules/ngx_rtmp_module.so

say() { echo "$BENCH_NAME: $*" >&2; }
die() { say "$*"; exit 1; }

tmp=$(mktemp -d "/tmp/$BENCH_NAME.XXXXXX")
pids=()
# Other scratch dirs to remove on exit (HLS output on a tmpfs).
scratch_dirs=()

# Stops one process: TERM, up to 5 s, then KILL; reaps it if it is our child.
stop_pid() {
    local pid=$1
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}
# Stops what this run started, newest first (the client before the publisher before the server).
stop_all() {
    local i
    for ((i = ${#pids[@]} - 1; i >= 0; i--)); do stop_pid "${pids[$i]}"; done
    pids=()
}
# Removes a pid that was stopped or reaped from the list.
forget_pid() {
    local keep=() p
    for p in "${pids[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
    pids=("${keep[@]}")
}
# With PERF_DIR set: profiles the processes $3 (comma-separated pids) with `perf record -g`
# from $1 seconds from now for $2 seconds, into PERF_DIR/$4.data (spaces and slashes in $4
# become _). Sets perf_pid ("" without PERF_DIR); `perf_done` waits for it.
perf_window() {
    perf_pid=""
    [ -n "${PERF_DIR:-}" ] || return 0
    mkdir -p "$PERF_DIR"
    local out=$PERF_DIR/${4//[ \/]/_}.data
    (sleep "$1" && exec perf record -q -F 999 -g -p "$3" -o "$out" -- sleep "$2") >/dev/null 2>&1 &
    perf_pid=$!
    pids+=("$perf_pid")
}
perf_done() {
    [ -n "$perf_pid" ] || return 0
    wait "$perf_pid" || true
    forget_pid "$perf_pid"
}
cleanup() {
    stop_all
    # Deleting the namespace deletes the veth pair with it; the host end too, in case the
    # setup stopped before moving the other end.
    [ -z "${netns:-}" ] || ip netns del "$netns" 2>/dev/null || true
    [ -z "${netns_host_if:-}" ] || ip link del "$netns_host_if" 2>/dev/null || true
    rm -rf "$tmp" "${scratch_dirs[@]}"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- tools and binaries ----------------------------------------------------------------------
# Installs what is missing: $1... = "command:package" (or "/path:package").
need_tools() {
    local need=() t
    for t in "$@"; do
        case "${t%%:*}" in
            /*) [ -e "${t%%:*}" ] || need+=("${t#*:}") ;;
            *) command -v "${t%%:*}" >/dev/null 2>&1 || need+=("${t#*:}") ;;
        esac
    done
    if [ ${#need[@]} -gt 0 ]; then
        say "installing ${need[*]}"
        local SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
        $SUDO apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
    fi
}

# Sets SRS_BIN and BENCH_BIN (building them when not given) and SRS7_BIN when $1 (the server
# list) has srs. Release builds: `make build` (./objs/srs), or with SCRATCH a
# `swift build --scratch-path $SCRATCH` of both products (out of the way of another build).
find_binaries() {
    local servers=$1 build_flags=(-c release --static-swift-stdlib ${SCRATCH:+--scratch-path "$SCRATCH"})
    if [[ " $servers " == *" swiftsrs "* ]] && [ -z "${SRS_BIN:-}" ]; then
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
    [ -x "$BENCH_BIN" ] || die "no srs-bench binary at $BENCH_BIN"
    if [[ " $servers " == *" swiftsrs "* ]]; then
        [ -x "$SRS_BIN" ] || die "no SwiftSRS binary at $SRS_BIN"
    fi
    if [[ " $servers " == *" srs "* ]]; then
        if [ -z "${SRS7_BIN:-}" ] && [ -n "${SRS_SRC:-}" ]; then SRS7_BIN=$SRS_SRC/trunk/objs/srs; fi
        [ -n "${SRS7_BIN:-}" ] && [ -x "$SRS7_BIN" ] ||
            die "no SRS 7 binary: build it with SRS_SRC=/path/to/srs bash tools/bench/build_srs.sh, then set SRS7_BIN (or drop srs from SERVERS)"
    fi
}

# The servers to run when SERVERS is not set: all three when an SRS 7 binary is known.
default_servers() {
    if [ -z "${SRS7_BIN:-}" ] && [ -n "${SRS_SRC:-}" ]; then SRS7_BIN=$SRS_SRC/trunk/objs/srs; fi
    if [ -n "${SRS7_BIN:-}" ] && [ -x "$SRS7_BIN" ]; then
        echo "swiftsrs srs nginx"
    else
        say "no SRS 7 binary (SRS7_BIN, see tools/bench/build_srs.sh): running SwiftSRS and nginx-rtmp only"
        echo "swiftsrs nginx"
    fi
}

# One line naming each server's version, for the log.
versions() {
    local servers=$1 out=()
    [[ " $servers " != *" swiftsrs "* ]] || out+=("SwiftSRS $SRS_BIN ($("$SRS_BIN" -v 2>&1 | head -1))")
    [[ " $servers " != *" srs "* ]] || out+=("SRS $SRS7_BIN ($("$SRS7_BIN" -v 2>&1 | head -1))")
    [[ " $servers " != *" nginx "* ]] || out+=("nginx $(/usr/sbin/nginx -v 2>&1 | sed 's/.*\///') + $(dpkg-query -W -f '${Package} ${Version}' libnginx-mod-rtmp 2>/dev/null)")
    local line="" o
    for o in "${out[@]}"; do line+="${line:+; }$o"; done
    echo "$line"
}

ncpu=$(nproc)
if [ "$PIN" = 1 ] && [ "$ncpu" -lt 2 ]; then say "one CPU: not pinning"; PIN=0; fi
# Every connection is an fd, in the servers and the client: take the hard limit.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || ulimit -n 65536 2>/dev/null || true
nofile=$(ulimit -n)
[[ $nofile =~ ^[0-9]+$ ]] || nofile=65536

# --- helpers ---------------------------------------------------------------------------------
# Sets `port` to a loopback port nobody listens on (and that this run did not use yet), below
# the ephemeral range: thousands of client connections use ephemeral ports, and a listener
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

# Summed VmRSS of the comma-separated pids, in MB (one decimal).
rss_mb() {
    local p kb=0 v
    for p in ${1//,/ }; do
        v=$(awk '/^VmRSS:/ { print $2 }' "/proc/$p/status" 2>/dev/null || true)
        kb=$(( kb + ${v:-0} ))
    done
    awk -v k="$kb" 'BEGIN { printf "%.1f", k / 1024 }'
}

# Pids listening on 127.0.0.1:$1 that are not in the comma-separated tree $2. Listeners use
# SO_REUSEPORT: another server binding the same port later would silently take a share of the
# clients, so a run is only valid if the port stayed ours.
port_intruders() {
    local p
    for p in $(ss -Hltnp "( sport = :$1 )" | grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -u); do
        case ",$2," in *",$p,"*) ;; *) echo "$p" ;; esac
    done
}

# A field of one srs-bench --json line, for keys that occur once (nested ones: jobj first).
jget() { sed -n "s/.*\"$1\":\\([^,}]*\\).*/\\1/p" <<<"$2" | tr -d '"'; }
# The same, as a number with one decimal ("-" when absent).
jnum() { awk -v v="$(jget "$1" "$2")" 'BEGIN { if (v == "" || v == "null") print "-"; else printf "%.1f", v }'; }
# The inside of a flat nested object: jobj first_frame_ms "$json" → "count":..,"p50":..
jobj() { sed -n "s/.*\"$1\":{\\([^}]*\\)}.*/\\1/p" <<<"$2"; }

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

# Other work on the machine skews both CPU and latency: waits up to IDLE_WAIT seconds for the
# machine to be idle (< 10 % of a core); sets `note` when it is not.
wait_idle() {
    local waited=0 busy
    busy=$(machine_busy)
    while [ "$busy" -ge 10 ] && [ "$waited" -lt "$IDLE_WAIT" ]; do
        busy=$(machine_busy); waited=$((waited + 1))
    done
    [ "$busy" -lt 10 ] || note="machine ${busy}% busy before the run"
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

# The hex CPU mask of a cpu list ("0,1" → 3), for rps_cpus.
cpu_mask() {
    local m=0 c
    for c in $(cpu_list "$1" | tr ',' ' '); do m=$(( m | (1 << c) )); done
    printf '%x' "$m"
}

# NETNS=1: makes the client's namespace and the veth pair; sets `netns`, `client_ns` (the
# command prefix that runs in it) and `server_host` (the servers' address as the client sees
# it). Each end steers what it receives to its side's CPUs (RPS), so the server's CPU runs its
# own TCP input (the client's ACKs, and the sends they release) and the client's CPU the client's.
NETNS=${NETNS:-0}
server_host=127.0.0.1
client_ns=""
netns=""
netns_host_if=""
setup_netns() {
    [ "$NETNS" = 1 ] || return 0
    need_tools ip:iproute2
    local id=$$ host_if client_if
    host_if=sbh$id client_if=sbc$id
    ip netns add "srsbench$id" || die "cannot create a network namespace (NETNS=1 needs root)"
    netns=srsbench$id
    ip link add "$host_if" type veth peer name "$client_if"
    netns_host_if=$host_if
    ip link set "$client_if" netns "$netns"
    ip addr add 10.213.0.1/30 dev "$host_if"
    ip link set "$host_if" up
    ip -n "$netns" addr add 10.213.0.2/30 dev "$client_if"
    ip -n "$netns" link set "$client_if" up
    ip -n "$netns" link set lo up
    echo "$(cpu_mask "${SERVER_CPUS:-0}")" >"/sys/class/net/$host_if/queues/rx-0/rps_cpus"
    ip netns exec "$netns" sh -c "echo $(cpu_mask "$CLIENT_CPUS") >/sys/class/net/$client_if/queues/rx-0/rps_cpus"
    server_host=10.213.0.1
    client_ns="ip netns exec $netns"
    say "client in network namespace $netns, servers at $server_host over veth (RPS: server CPUs ${SERVER_CPUS:-0}, client CPUs $CLIENT_CPUS)"
}

# Runs srs-bench ($@) with a time budget $1, in the background so a signal reaches our trap at
# once (bash defers traps while a foreground child runs); sets `json` (stdout) and `rc`.
# stderr goes to $bench_err.
run_bench() {
    local budget=$1 bpid
    shift
    # shellcheck disable=SC2046
    timeout "$budget" $client_ns $(pin "$CLIENT_CPUS") "$BENCH_BIN" "$@" >"$tmp/bench.out" 2>"$bench_err" &
    bpid=$!
    pids+=("$bpid")
    set +e
    wait "$bpid"
    rc=$?
    set -e
    forget_pid "$bpid"
    json=$(cat "$tmp/bench.out")
}

# --- servers ---------------------------------------------------------------------------------
# Starts a server on $port; sets server_pid, server_dir, server_cpu_list. $1 = swiftsrs|srs|
# nginx, $2 = workers (swiftsrs), $3 = merged writes "msgs/latency" or "-" (swiftsrs), $4 = an
# HLS directory, or "" for no HLS. Every server: its defaults otherwise, logs to a file, daemon
# off, connection limits above what the benchmark opens. HLS, when on, with SRS's defaults for
# all three: 10 s fragments, a 60 s playlist window.
start_server() {
    local kind=$1 workers=$2 mw=$3 hls=$4 dir cpus mw_conf="" hls_conf="" maxconn
    dir=$tmp/$kind-$workers-$port
    mkdir -p "$dir"
    cpus=${SERVER_CPUS:-0}
    # SRS refuses to start unless max_connections + 128 < the open files limit.
    maxconn=$(( nofile - 200 ))
    case "$kind" in
        swiftsrs|srs)
            if [ "$mw" != - ]; then
                mw_conf="        mw_msgs     ${mw%/*};
        mw_latency  ${mw#*/};"
            fi
            if [ -n "$hls" ]; then
                hls_conf="    hls {
        enabled         on;
        hls_path        $hls;
        hls_fragment    10;
        hls_window      60;
    }"
            fi
            cat >"$dir/srs.conf" <<EOF
listen              $port;
max_connections     $maxconn;
daemon              off;
srs_log_tank        file;
srs_log_file        $dir/srs.log;
pid                 $dir/srs.pid;
$([ "$kind" = swiftsrs ] && echo "worker_processes    $workers;")
vhost __defaultVhost__ {
    play {
        gop_cache   on;
$mw_conf
    }
$hls_conf
}
EOF
            if [ "$kind" = swiftsrs ]; then
                [ "$workers" -gt 1 ] && cpus=${SERVER_CPUS:-0-$((ncpu - 1))}
                # shellcheck disable=SC2046
                (cd "$dir" && exec $(pin "$cpus") "$SRS_BIN" -c "$dir/srs.conf") >"$dir/stdout.log" 2>&1 &
            else
                # SRS 7 is one process; from its dir, so nothing it writes lands elsewhere.
                # shellcheck disable=SC2046
                (cd "$dir" && exec $(pin "$cpus") "$SRS7_BIN" -c "$dir/srs.conf") >"$dir/stdout.log" 2>&1 &
            fi
            ;;
        nginx)
            mkdir -p "$dir/logs"
            if [ -n "$hls" ]; then
                hls_conf="            hls on;
            hls_path $hls;
            hls_fragment 10s;
            hls_playlist_length 60s;"
            fi
            cat >"$dir/nginx.conf" <<EOF
load_module $NGINX_MODULE;
worker_processes 1;
daemon off;
master_process on;
pid $dir/nginx.pid;
error_log $dir/logs/error.log warn;
worker_rlimit_nofile $nofile;
events {
    worker_connections $maxconn;
}
rtmp {
    server {
        listen $port;
        application live {
            live on;
$hls_conf
        }
    }
}
EOF
            # shellcheck disable=SC2046
            $(pin "$cpus") /usr/sbin/nginx -p "$dir" -e "$dir/logs/error.log" -c "$dir/nginx.conf" >"$dir/stdout.log" 2>&1 &
            ;;
        *) die "unknown server $kind (want swiftsrs, srs or nginx)" ;;
    esac
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

# --- medians over rounds ---------------------------------------------------------------------
# Prints one table row per key of $1 (lines "key<TAB>v1<TAB>v2...", several per key, one per
# round), in first-seen order, from the template $2: the key, then "{N}" = the median of
# column N, "{N~}" = "median (min – max)", "{n}" = the number of rounds. "-" values are left
# out; "-" if none is left. One decimal, none for columns of whole numbers (counts).
median_rows() {
    awk -F'\t' -v tpl="$2" '
        function fmt(v) { return whole ? sprintf("%d", v) : sprintf("%.1f", v) }
        function stat(key, c, range,    n, i, j, v, a, t, m) {
            n = 0
            whole = 1
            for (i = 1; i <= cnt[key]; i++) {
                v = vals[key, c, i]
                if (v != "-" && v != "") { a[++n] = v + 0; if (v ~ /\./) whole = 0 }
            }
            if (n == 0) return "-"
            for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
            m = (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
            if (m != int(m)) whole = 0
            if (range && n > 1) return fmt(m) " (" fmt(a[1]) " – " fmt(a[n]) ")"
            return fmt(m)
        }
        {
            key = $1
            if (!(key in cnt)) order[++nk] = key
            cnt[key]++
            for (i = 2; i <= NF; i++) vals[key, i - 1, cnt[key]] = $i
        }
        END {
            for (k = 1; k <= nk; k++) {
                key = order[k]; out = ""; rest = tpl
                while (match(rest, /\{[0-9n]+~?\}/)) {
                    tok = substr(rest, RSTART + 1, RLENGTH - 2)
                    out = out substr(rest, 1, RSTART - 1)
                    if (tok == "n") out = out cnt[key]
                    else if (tok ~ /~$/) out = out stat(key, substr(tok, 1, length(tok) - 1) + 0, 1)
                    else out = out stat(key, tok + 0, 0)
                    rest = substr(rest, RSTART + RLENGTH)
                }
                print key out rest
            }
        }' "$1"
}
