#!/usr/bin/env bash
# CPU of a SwiftSRS worker taking N publishers of the same 3.3 Mbps 720p30 H.264/AAC stream over
# RTMP (FLV) and over SRT (MPEG-TS, demuxed into the live source), with one RTMP player per
# stream, interleaved rounds. Prints one JSON line per run: the worker's CPU % of a core
# (libsrt's threads included), and the master's.
# With SRS7_BIN (SRS 7 built with `./configure --srt=on`), SRS 7 runs the same rounds (one
# process: its CPU is the "worker" column).
# Usage: tools/bench/srt_vs_rtmp.sh [publishers...] (default: 1 4)
# Env: SRS_BIN (default: release build), SRS7_BIN, SECONDS_PER_RUN [20], ROUNDS [2].
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_PER_RUN=${SECONDS_PER_RUN:-20}
ROUNDS=${ROUNDS:-2}
if [ -z "${SRS_BIN:-}" ]; then
    swift build -c release --product srs >/dev/null
    SRS_BIN=.build/release/srs
fi
SRS_BIN=$(realpath "$SRS_BIN")
work=$(mktemp -d)
pids=()
cleanup() {
    local p
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT
ffmpeg -v error -y -f lavfi -i testsrc2=size=1280x720:rate=30 -f lavfi -i sine=frequency=440:sample_rate=44100 -t 20 \
    -c:v libx264 -preset veryfast -b:v 3000k -maxrate 3000k -bufsize 3000k -g 60 -pix_fmt yuv420p \
    -c:a aac -b:a 128k -f mpegts "$work/fixture.ts"
ffmpeg -v error -y -i "$work/fixture.ts" -c copy -f flv "$work/fixture.flv"
RTMP=${RTMP_PORT:-19435}
SRT=${SRT_PORT:-19436}
API=${API_PORT:-19437}
cat > "$work/srs.conf" <<CONF
listen $RTMP;
daemon off;
srs_log_tank console;
srs_log_level warn;
pid $work/srs.pid;
http_api { enabled on; listen $API; }
srt_server { enabled on; listen $SRT; }
vhost __defaultVhost__ { srt { enabled on; srt_to_rtmp on; } }
CONF
servers=(swift)
if [ -n "${SRS7_BIN:-}" ]; then
    SRS7_BIN=$(realpath "$SRS7_BIN")
    servers+=(srs7)
fi
# utime + stime of a pid, in clock ticks (the comm field, "(srs: worker pro)", has spaces).
ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }
hz=$(getconf CLK_TCK)
run() {
    local server=$1 proto=$2 n=$3 i master worker c0 c1 m0 m1 run_pids=() bin=$SRS_BIN
    [ "$server" = srs7 ] && bin=$SRS7_BIN
    (cd "$work" && exec "$bin" -c srs.conf >"$work/srs.log" 2>&1) &
    master=$!
    pids+=("$master")
    sleep 1
    worker=$master
    [ "$server" = swift ] && worker=$(pgrep -P "$master" | head -1)
    for i in $(seq 1 "$n"); do
        if [ "$proto" = srt ]; then
            ffmpeg -nostdin -v error -re -stream_loop -1 -i "$work/fixture.ts" -c copy -f mpegts \
                "srt://127.0.0.1:$SRT?streamid=#!::r=live/s$i,m=publish" >/dev/null 2>&1 &
        else
            ffmpeg -nostdin -v error -re -stream_loop -1 -i "$work/fixture.flv" -c copy -f flv \
                "rtmp://127.0.0.1:$RTMP/live/s$i" >/dev/null 2>&1 &
        fi
        run_pids+=($!)
        ffmpeg -nostdin -v error -i "rtmp://127.0.0.1:$RTMP/live/s$i" -c copy -f null - >/dev/null 2>&1 &
        run_pids+=($!)
    done
    pids+=("${run_pids[@]}")
    sleep 3
    c0=$(ticks "$worker"); m0=$(ticks "$master")
    sleep "$SECONDS_PER_RUN"
    c1=$(ticks "$worker"); m1=$(ticks "$master")
    # The streams, what they took in and sent (kbps over 30 s; SRS 7 reports 0 this early) and
    # their frames, as the API has them: the check that every publisher and player ran.
    kbps=$(curl -s "http://127.0.0.1:$API/api/v1/streams/" | python3 -c '
import json, sys
s = json.load(sys.stdin).get("streams", [])
print(len(s), sum(x["kbps"]["recv_30s"] for x in s), sum(x["kbps"]["send_30s"] for x in s), sum(x.get("frames", 0) for x in s))')
    # A player blocked in a read ignores TERM until data comes: KILL what is left after 1 s.
    for i in "${run_pids[@]}"; do kill "$i" 2>/dev/null || true; done
    sleep 1
    for i in "${run_pids[@]}"; do kill -KILL "$i" 2>/dev/null || true; done
    for i in "${run_pids[@]}"; do wait "$i" 2>/dev/null || true; done
    kill "$master"; wait "$master" 2>/dev/null || true
    pids=()
    echo "{\"server\":\"$server\",\"proto\":\"$proto\",\"publishers\":$n,\"worker_cpu_percent\":$(echo "scale=1; 100 * ($c1 - $c0) / $hz / $SECONDS_PER_RUN" | bc),\"master_cpu_percent\":$(echo "scale=1; 100 * ($m1 - $m0) / $hz / $SECONDS_PER_RUN" | bc),\"streams_recvkbps_sendkbps_frames\":\"$kbps\"}"
}
for round in $(seq 1 "$ROUNDS"); do
    for n in ${@:-1 4}; do
        for server in "${servers[@]}"; do
            run "$server" rtmp "$n"
            run "$server" srt "$n"
        done
    done
done
