#!/usr/bin/env bash
# RTMP players benchmark: SwiftSRS vs SRS 7 vs nginx-rtmp (Debian libnginx-mod-rtmp, 1 worker),
# same publisher, same clip, same load client, one table.
#
# For each player count, ROUNDS times, each server in turn (interleaved, so slow drifts of a
# shared machine hit every server alike): start the server on a free loopback port, publish a
# pre-encoded 1280x720 H.264+AAC FLV with `ffmpeg -re -stream_loop -1 -c copy` (almost no
# CPU), wait until a probe player gets a keyframe, then run `srs-bench play` with N players.
# srs-bench samples the server's CPU (utime+stime from /proc/PID/stat, all its processes) and
# RSS (VmRSS, summed) over the same steady window it measures Mbps on. A row per run, then
# (ROUNDS > 1) the median of each column per server.
#
# RELAY=1 measures the cost of players on another worker than the publisher's (issue 18, goal
# 5): SwiftSRS with 1 worker, then with 2 workers and every player on the publisher's worker
# ("same"), then with every player on the other worker ("relay": that worker pulls the stream
# from its sibling over the relay socket). Each player is kept only if the wanted worker
# accepted its connection (`srs-bench play --on-pid`, see docs/benchmarks.md). All server
# processes on SERVER_CPUS (default 0), so the three compare on one core.
#
# Environment (defaults in brackets):
#   PLAYERS   player counts to run ["100 300 600"]
#   SERVERS   servers to run, any of: swiftsrs srs nginx ["swiftsrs srs nginx" when an SRS 7
#             binary is known, else "swiftsrs nginx"]; srs needs SRS7_BIN (tools/bench/build_srs.sh)
#   ROUNDS    interleaved rounds per player count; the table of medians follows [1]
#   WORKERS   SwiftSRS worker_processes values to run, e.g. "1 2" [1]
#   MW        SwiftSRS merged-write settings to run, each "mw_msgs/mw_latency" written into
#             `play { }`, or "-" for the server's defaults (8/350), e.g. "- 0/0 32/350" [-]
#   MW_MSGS, MW_LATENCY  one setting, instead of MW (MW_MSGS=0 alone: "0/350")
#   RELAY     1: the cross-worker rows above instead of SERVERS/WORKERS [0]
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
#   SERVER_CPUS [0; all CPUs for SwiftSRS runs with more than one worker, except with RELAY=1]
#   CLIENT_CPUS [1]
#   SRS_BIN, BENCH_BIN, SCRATCH, SRS7_BIN, SRS_SRC  the binaries (see tools/bench/lib.sh)
#   RESULTS   file to append one JSON line per run to [./objs/bench/rtmp_players.jsonl]
#   NETNS     1: the client in its own network namespace over a veth pair (tools/bench/lib.sh) [0]
#   PERF_DIR  profile every server process during the window: `perf record -F 999 -g` into
#             PERF_DIR/<server>-<players>-r<round>.data (linux-perf); read it with `perf report`
set -euo pipefail
cd "$(dirname "$0")/../.."
BENCH_NAME=rtmp_players
# shellcheck source=tools/bench/lib.sh
source tools/bench/lib.sh

PLAYERS=${PLAYERS:-"100 300 600"}
SERVERS=${SERVERS:-$(default_servers)}
ROUNDS=${ROUNDS:-1}
WORKERS=${WORKERS:-1}
if [ -z "${MW:-}" ] && { [ -n "${MW_MSGS:-}" ] || [ -n "${MW_LATENCY:-}" ]; }; then
    MW="${MW_MSGS:-8}/${MW_LATENCY:-350}"
fi
MW=${MW:--}
RELAY=${RELAY:-0}
LATE=${LATE:-20}
RATE=${RATE:-50}
WARMUP=${WARMUP:-3}
DURATION=${DURATION:-20}
CLIP_SECONDS=${CLIP_SECONDS:-10}
BITRATE=${BITRATE:-2400k}
RESULTS=${RESULTS:-$PWD/objs/bench/rtmp_players.jsonl}
mkdir -p "$(dirname "$RESULTS")"
if [ "$RELAY" = 1 ]; then
    SERVERS=swiftsrs
    # The three rows compare on the same core(s).
    SERVER_CPUS=${SERVER_CPUS:-0}
fi

need=(ffmpeg:ffmpeg taskset:util-linux ss:iproute2 pgrep:procps)
[[ " $SERVERS " != *" nginx "* ]] || need+=(/usr/sbin/nginx:nginx "$NGINX_MODULE:libnginx-mod-rtmp")
need_tools "${need[@]}"
find_binaries "$SERVERS"
# Placing players on a worker reads the server's sockets from the client's side (sock_diag).
[ "$NETNS" != 1 ] || [ "$RELAY" != 1 ] || die "NETNS=1 does not go with RELAY=1"
setup_netns

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

# The worker holding the publisher's connection: $1 port, $2 publisher pid.
publisher_worker() {
    local lport
    lport=$(ss -Htnp state established "( dport = :$1 )" | grep "pid=$2," | awk '{ print $3 }' | sed 's/.*://' | head -1)
    [ -n "$lport" ] || return 0
    ss -Htnp state established "( sport = :$1 and dport = :$lport )" | grep -o 'pid=[0-9]*' | cut -d= -f2 | head -1
}

# One measurement of (server, workers, merged writes, placement, players) on a fresh server and
# publisher. Sets `json`, `idle_mb` and `note`; returns 3 when another process shared the port
# (the run is not valid).
attempt() {
    local kind=$1 workers=$2 mw=$3 place=$4 n=$5 name=$6 pub_pid ok=0 tree budget intruders others w on_pid=""
    json="" note="" idle_mb=-
    wait_idle
    free_port
    start_server "$kind" "$workers" "$mw" ""
    # The publisher on loopback; the players at the server's address as the client sees it.
    local url=rtmp://$server_host:$port/live/bench
    # shellcheck disable=SC2046
    $(pin "$CLIENT_CPUS") ffmpeg -hide_banner -loglevel error -nostdin -re -stream_loop -1 -i "$CLIP" \
        -c copy -f flv "rtmp://127.0.0.1:$port/live/bench" >"$server_dir/publisher.log" 2>&1 &
    pub_pid=$!
    pids+=("$pub_pid")
    bench_err=$server_dir/probe.err
    for _ in $(seq 10); do
        run_bench 10 play --url "$url" --players 1 --warmup 0 --duration 3 --timeout-ms 4000
        if [ "$rc" = 0 ]; then ok=1; break; fi
        kill -0 "$pub_pid" 2>/dev/null || break
    done
    [ "$ok" = 1 ] || { cat "$server_dir"/*.log >&2 || true; die "$kind: no stream at $url"; }

    tree=$(pid_tree "$server_pid")
    idle_mb=$(rss_mb "$tree")
    if [ "$place" != - ]; then
        w=$(publisher_worker "$port" "$pub_pid")
        [ -n "$w" ] || die "cannot tell which worker holds the publisher"
        on_pid=$w
        if [ "$place" = relay ]; then
            on_pid=$(tr ',' '\n' <<<"$tree" | grep -vx "$server_pid" | grep -vx "$w" | head -1)
            [ -n "$on_pid" ] || die "no second worker"
        fi
    fi
    budget=$(awk -v n="$n" -v r="$RATE" -v w="$WARMUP" -v d="$DURATION" -v p="$place" \
        'BEGIN { printf "%d", (p == "-" ? 1 : 4) * n / r + w + d + 60 }')
    bench_err=$server_dir/bench.err
    # From the window's start (ramp + warmup) to its end, every process of the server.
    perf_window "$(awk -v n="$n" -v r="$RATE" -v w="$WARMUP" 'BEGIN { printf "%d", n / r + w + 1 }')" \
        "$((DURATION - 2))" "$tree" "$name-$n-r$round"
    run_bench "$budget" play --url "$url" --players "$n" --rate "$RATE" \
        --warmup "$WARMUP" --duration "$DURATION" --late-joiners "$LATE" \
        --pids "$tree" --exclude-pids "$pub_pid" ${server_cpu_list:+--server-cpus "$server_cpu_list"} \
        ${on_pid:+--on-pid "$on_pid"} --label "$name" --json
    perf_done
    kill -0 "$server_pid" 2>/dev/null || note="server died${note:+; $note}"
    intruders=$(port_intruders "$port" "$tree" | tr '\n' ' ')
    stop_all
    [ -n "$json" ] || note="srs-bench failed rc=$rc: $(tail -1 "$bench_err")"
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

# Runs one (server, workers, merged writes, placement, players) combination in round $6 (again
# on another port if the port was shared); prints a table row, appends the JSON to $RESULTS and
# the row's numbers to $tmp/rows.tsv.
run_one() {
    local kind=$1 workers=$2 mw=$3 place=$4 n=$5 round=$6 name=$1 ff late delay gap try split rss per misplaced
    case "$kind" in
        swiftsrs)
            name="swiftsrs ${workers}w"
            [ "$place" = - ] || name+=" $place"
            [ "$mw" = - ] || name+=" mw $mw" ;;
        srs) name="srs 7" ;;
        nginx) name="nginx-rtmp" ;;
    esac
    for try in 1 2 3; do
        attempt "$kind" "$workers" "$mw" "$place" "$n" "$name" && break
        say "$name, $n players: $note (try $try)"
    done
    if [ -z "$json" ]; then
        say "$name: $note"
        printf '| %s | %s | %s | - | - | - | - | - | - | - | - | - | - | - | - | %s |\n' "$n" "$name" "$round" "$note"
        return 0
    fi
    echo "{\"round\":$round,\"server\":\"$name\",\"rss_idle_mb\":$idle_mb,${json#\{}" >>"$RESULTS"
    ff=$(jobj first_frame_ms "$json")
    late=$(jobj late_first_frame_ms "$json")
    delay=$(jobj delay_ms "$json")
    gap=$(jobj player_max_gap_ms "$json")
    rss=$(jnum server_rss_mb "$json")
    # What the players added to the server's memory: RSS in the window minus RSS with the
    # publisher alone, per player.
    per=$(awk -v r="$rss" -v i="$idle_mb" -v n="$n" 'BEGIN { if (r == "-" || i == "-") print "-"; else printf "%.1f", (r - i) * 1024 / n }')
    if [ -n "$late" ] && [ "$(jget no_keyframe "$late")" != 0 ]; then
        note="$(jget no_keyframe "$late") late joiners without a keyframe${note:+; $note}"
    fi
    misplaced=$(jget misplaced "$json")
    if [ -n "$misplaced" ] && [ "$misplaced" != null ]; then
        note="$misplaced misplaced connections replaced${note:+; $note}"
    fi
    if [ "$workers" -gt 1 ]; then
        # How the load split between master and workers (pid order: master first).
        split=$(jobj server_cpu_by_pid "$json" | sed 's/"[0-9]*"://g; s/,/ \/ /g')
        note="CPU by process: $split${note:+; $note}"
    fi
    local v=(
        "$(jget playing "$json")" "$(jnum mbps "$json")" "$(jnum server_cpu_percent "$json")"
        "$(jnum server_cpus_busy_percent "$json")" "$rss" "$per"
        "$(jnum p50 "$ff")" "$(jnum p99 "$ff")" "$(jnum p50 "$late")" "$(jnum p99 "$late")"
        "$(jnum p50 "$delay")" "$(jnum p99 "$delay")" "$(jnum p99 "$gap")"
        "$(jget failed "$json")" "$(jget dropped "$json")" "$(jget stalled "$json")" "$(jnum client_cpu_percent "$json")"
    )
    printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s / %s | %s / %s | %s / %s | %s | %s/%s/%s | %s | %s |\n' \
        "$n" "$name" "$round" "${v[@]}" "$note"
    (IFS=$'\t'; echo "| $n | $name |"$'\t'"${v[*]}") >>"$tmp/rows.tsv"
}

# The runs: (server, workers, merged writes, placement) per player count and round.
combos=()
if [ "$RELAY" = 1 ]; then
    for mw in $MW; do combos+=("swiftsrs 1 $mw -" "swiftsrs 2 $mw same" "swiftsrs 2 $mw relay"); done
else
    for kind in $SERVERS; do
        case "$kind" in
            swiftsrs) for w in $WORKERS; do for mw in $MW; do combos+=("swiftsrs $w $mw -"); done; done ;;
            srs|nginx) combos+=("$kind 1 - -") ;;
            *) die "unknown server $kind (want swiftsrs, srs or nginx)" ;;
        esac
    done
fi

# --- run -------------------------------------------------------------------------------------
say "$(versions "$SERVERS"); $ncpu CPUs"
say "clip $CLIP; players '$PLAYERS' at $RATE/s, warmup ${WARMUP}s, window ${DURATION}s, $LATE late joiners, $ROUNDS round(s); results in $RESULTS"
if [ "$RELAY" = 1 ]; then
    say "relay mode: SwiftSRS 1 worker, 2 workers with the players on the publisher's worker (same), on the other (relay); merged writes '$MW'"
elif [[ " $SERVERS " == *" swiftsrs "* ]]; then
    say "SwiftSRS workers '$WORKERS', merged writes (mw_msgs/mw_latency) '$MW'"
fi
if [ "$PIN" = 1 ]; then
    say "pinned: server on CPU ${SERVER_CPUS:-0 (all CPUs for SwiftSRS with >1 worker)}, publisher + client on CPU $CLIENT_CPUS"
fi
header="| players | server | round | playing | Mbps | server CPU % | server core busy % | RSS MB | RSS/player KB | first frame p50 / p99 ms | late joiner p50 / p99 ms | delay p50 / p99 ms | largest gap p99 ms | failed/dropped/stalled | client CPU % | note |"
echo
echo "$header"
echo "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
for n in $PLAYERS; do
    for round in $(seq "$ROUNDS"); do
        for combo in "${combos[@]}"; do
            # shellcheck disable=SC2086
            run_one $combo "$n" "$round"
        done
    done
done
if [ "$ROUNDS" -gt 1 ] && [ -s "$tmp/rows.tsv" ]; then
    echo
    echo "Medians of $ROUNDS rounds (server CPU: median (min – max)):"
    echo
    echo "| players | server | runs | playing | Mbps | server CPU % | server core busy % | RSS MB | RSS/player KB | first frame p50 / p99 ms | late joiner p50 / p99 ms | delay p50 / p99 ms | largest gap p99 ms | failed/dropped/stalled | client CPU % |"
    echo "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    median_rows "$tmp/rows.tsv" " {n} | {1} | {2} | {3~} | {4} | {5} | {6} | {7} / {8} | {9} / {10} | {11} / {12} | {13} | {14}/{15}/{16} | {17} |"
fi
if [ "$RELAY" = 1 ] && [ -s "$tmp/rows.tsv" ]; then
    echo
    # Per player count and merged-write setting: the median server CPU of "relay" against "same".
    median_rows "$tmp/rows.tsv" $'\t{3}' | awk -F'\t' '
        { key = $1; sub(/ (same|relay)/, "", key) }
        $1 ~ / same/ { same[key] = $2 }
        $1 ~ / relay/ { relay[key] = $2 }
        END {
            for (k in relay) if ((k in same) && same[k] != "-" && relay[k] != "-" && same[k] > 0)
                printf "relay vs same worker %s server CPU (median) %.1f vs %.1f %%: %+.1f %%\n", k, relay[k], same[k], (relay[k] / same[k] - 1) * 100
        }'
fi
echo
say "CPU % is of one core (200 = two cores busy), summed over the server's processes; RSS summed."
say "core busy % is /proc/stat for the server's pinned CPU(s): process CPU plus softirq work done there."
say "RSS/player: (RSS in the window - RSS with the publisher alone) / players."
say "nginx-rtmp has no GOP cache: its players wait for the next keyframe (GOP 2 s here)."
say "first frame: connect start to the first keyframe, all N players (joined during the ramp);"
say "late joiner: the same for $LATE players joining one by one while the N play."
say "delay: each message's (arrival - timestamp) above its player's smallest, over the window;"
say "largest gap: p99 over players of each one's longest time between two media arrivals."
