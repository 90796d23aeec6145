#!/usr/bin/env bash
# DVR benchmark (issue 16): N publishers into one server that records every stream, DVR off vs
# FLV vs MP4, SwiftSRS (and SRS 7 when SRS7_BIN is set), one table.
#
# For each DVR mode and round, each server in turn: start it on a free loopback port with
# `dvr { enabled on; dvr_plan session; dvr_path <dir>/[app]/[stream].[timestamp].<flv|mp4>; }`,
# then `srs-bench publish`: N publishers of one pre-encoded clip (640x360 H.264 ~250 kb/s + AAC
# 48 kb/s, keyframe every 2 s) looped in real time, each to its own stream. srs-bench samples the
# server's CPU and RSS over the steady window. Then the server quits (SIGQUIT: every file is
# finished and renamed) and the files are counted and measured: their bytes over the time the
# publishers ran is the disk write rate.
#
# Environment (defaults in brackets):
#   PUBLISHERS  publisher counts [100]
#   DVR         modes, any of: off flv mp4 ["off flv mp4"]
#   SERVERS     swiftsrs and/or srs ["swiftsrs", plus "srs" when SRS7_BIN is set]
#   ROUNDS [1]  WORKERS [1]  RATE [50]  WARMUP [5]  DURATION [30]
#   DVR_DIR     where the recordings go [a scratch dir under /tmp, i.e. the disk; /dev/shm for
#               a tmpfs that keeps the disk out of the figures]
#   CLIP, CLIP_SECONDS [10], VIDEO_BITRATE [250k], AUDIO_BITRATE [48k]   as rtmp_publishers.sh
#   IDLE_WAIT, PIN, SERVER_CPUS [0], CLIENT_CPUS [1], SRS_BIN, BENCH_BIN, SCRATCH, SRS7_BIN
#               see tools/bench/lib.sh
#   RESULTS     file to append one JSON line per run to [./objs/bench/dvr_streams.jsonl]
set -euo pipefail
cd "$(dirname "$0")/../.."
BENCH_NAME=dvr_streams
# shellcheck source=tools/bench/lib.sh
source tools/bench/lib.sh

PUBLISHERS=${PUBLISHERS:-100}
DVR=${DVR:-"off flv mp4"}
if [ -z "${SERVERS:-}" ]; then
    SERVERS=swiftsrs
    [ -z "${SRS7_BIN:-}" ] || SERVERS="swiftsrs srs"
fi
ROUNDS=${ROUNDS:-1}
WORKERS=${WORKERS:-1}
RATE=${RATE:-50}
WARMUP=${WARMUP:-5}
DURATION=${DURATION:-30}
CLIP_SECONDS=${CLIP_SECONDS:-10}
VIDEO_BITRATE=${VIDEO_BITRATE:-250k}
AUDIO_BITRATE=${AUDIO_BITRATE:-48k}
RESULTS=${RESULTS:-$PWD/objs/bench/dvr_streams.jsonl}
mkdir -p "$(dirname "$RESULTS")"
for m in $DVR; do case "$m" in off|flv|mp4) ;; *) die "DVR: want off, flv and/or mp4, not $m" ;; esac; done

need_tools ffmpeg:ffmpeg taskset:util-linux ss:iproute2 pgrep:procps
find_binaries "$SERVERS"
dvr_base=$(mktemp -d "${DVR_DIR:-$tmp}/$BENCH_NAME-dvr.XXXXXX")
scratch_dirs+=("$dvr_base")

if [ -z "${CLIP:-}" ]; then
    CLIP=$tmp/clip.flv
    say "encoding a ${CLIP_SECONDS}s 640x360 H.264 $VIDEO_BITRATE + AAC $AUDIO_BITRATE clip"
    ffmpeg -hide_banner -loglevel error -nostdin -y \
        -f lavfi -i "testsrc2=size=640x360:rate=25" -f lavfi -i "sine=frequency=440:sample_rate=48000" \
        -t "$CLIP_SECONDS" -c:v libx264 -preset veryfast -b:v "$VIDEO_BITRATE" -maxrate "$VIDEO_BITRATE" -bufsize "$VIDEO_BITRATE" \
        -g 50 -keyint_min 50 -sc_threshold 0 -pix_fmt yuv420p -c:a aac -b:a "$AUDIO_BITRATE" -f flv "$CLIP"
fi
[ -s "$CLIP" ] || die "no clip at $CLIP"

# Starts $1 (swiftsrs|srs) recording to $2 (a directory, or "" for DVR off) in mode $3; sets
# server_pid and server_dir.
start_dvr_server() {
    local kind=$1 dir=$2 mode=$3 dvr_conf="" bin=$SRS_BIN
    server_dir=$tmp/$kind-$mode-$port
    mkdir -p "$server_dir"
    if [ -n "$dir" ]; then
        dvr_conf="    dvr {
        enabled     on;
        dvr_plan    session;
        dvr_path    $dir/[app]/[stream].[timestamp].$mode;
    }"
    fi
    [ "$kind" = swiftsrs ] || bin=$SRS7_BIN
    cat >"$server_dir/srs.conf" <<EOF
listen              $port;
max_connections     $(( nofile - 200 ));
daemon              off;
srs_log_tank        file;
srs_log_file        $server_dir/srs.log;
pid                 $server_dir/srs.pid;
grace_start_wait    0;
grace_final_wait    0;
$([ "$kind" = swiftsrs ] && echo "worker_processes    $WORKERS;")
vhost __defaultVhost__ {
$dvr_conf
}
EOF
    # shellcheck disable=SC2046
    (cd "$server_dir" && exec $(pin "${SERVER_CPUS:-0}") "$bin" -c "$server_dir/srs.conf") >"$server_dir/stdout.log" 2>&1 &
    server_pid=$!
    pids+=("$server_pid")
    wait_port "$port" 10 || { cat "$server_dir"/*.log >&2 || true; die "$kind did not listen on $port"; }
}

run_one() {
    local kind=$1 mode=$2 n=$3 round=$4 name dir="" tree budget t0 t1 secs files tmps bytes rate cpu rss pub note=""
    name=$kind; [ "$kind" = swiftsrs ] && name="swiftsrs ${WORKERS}w"; [ "$kind" = srs ] && name="srs 7"
    wait_idle
    free_port
    if [ "$mode" != off ]; then dir=$dvr_base/$kind-$mode-$port; mkdir -p "$dir"; fi
    start_dvr_server "$kind" "$dir" "$mode"
    tree=$(pid_tree "$server_pid")
    budget=$(awk -v n="$n" -v r="$RATE" -v w="$WARMUP" -v d="$DURATION" 'BEGIN { printf "%d", n / r + w + d + 60 }')
    bench_err=$server_dir/bench.err
    t0=$(date +%s.%N)
    run_bench "$budget" publish --url "rtmp://127.0.0.1:$port/live/pub-{i}" --clip "$CLIP" --publishers "$n" \
        --rate "$RATE" --warmup "$WARMUP" --duration "$DURATION" --pids "$tree" --label "$name dvr $mode" --json
    t1=$(date +%s.%N)
    # The publishers are gone: a graceful quit finishes (and renames) every file.
    kill -QUIT "$server_pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    stop_all
    files=0 tmps=0 bytes=0
    if [ -n "$dir" ]; then
        files=$(find "$dir" -type f -name "*.$mode" | wc -l)
        tmps=$(find "$dir" -type f -name '*.tmp' | wc -l)
        bytes=$(du -sb "$dir" | cut -f1)
        rm -rf "$dir"
    fi
    secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
    rate=$(awk -v b="$bytes" -v s="$secs" 'BEGIN { printf "%.2f", (s > 0 ? b / s / 1e6 : 0) }')
    [ -n "$json" ] || note="srs-bench failed rc=$rc: $(tail -1 "$bench_err")"
    cpu=$(jnum server_cpu_percent "$json")
    rss=$(jnum server_rss_mb "$json")
    pub=$(jget publishing "$json")
    [ "$tmps" = 0 ] || note="$tmps files left as .tmp${note:+; $note}"
    echo "{\"round\":$round,\"server\":\"$name\",\"dvr\":\"$mode\",\"files\":$files,\"tmp_files\":$tmps,\"bytes\":$bytes,\"seconds\":$secs,${json#\{}" >>"$RESULTS"
    printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$n" "$mode" "$name" "$round" "${pub:--}" \
        "$(jget behind "$json")" "$cpu" "$rss" "$files" "$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1e6 }')" "$rate" "$note"
}

say "$(versions "$SERVERS"); $ncpu CPUs; recordings in $dvr_base"
say "clip $CLIP; publishers '$PUBLISHERS' at $RATE/s, DVR '$DVR', warmup ${WARMUP}s, window ${DURATION}s, $ROUNDS round(s); results in $RESULTS"
echo
echo "| publishers | DVR | server | round | publishing | behind | server CPU % | RSS MB | files | MB recorded | MB/s written | note |"
echo "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"
for n in $PUBLISHERS; do
    for mode in $DVR; do
        for round in $(seq "$ROUNDS"); do
            for kind in $SERVERS; do run_one "$kind" "$mode" "$n" "$round"; done
        done
    done
done
echo
say "CPU % is of one core over the window, summed over the server's processes; RSS max over the window."
say "MB/s written: the bytes of the finished files over the time the publishers ran (ramp, warmup and window)."
