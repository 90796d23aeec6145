#!/usr/bin/env bash
# Measures the SRT layer on a worker's loop (docs/srt.md): the srt-harness listener idle (no
# client at all), then with N ffmpeg publishers looping a 3.3 Mbps 720p30 H.264/AAC transport
# stream (demuxed to FLV frames) plus a latency probe (a libsrt client in the harness sending its
# clock every 2 ms: how long after its TSBPD time each message reaches the loop); last, how late
# srt_epoll_wait sees a kernel fd. Prints one JSON line per run: CPU of the whole harness process
# (libsrt's threads included), throughput, loop wake-ups, latency. The comparison with polling
# in docs/srt.md was made with this script at commit 3ea31e8, which had --loop poll1|poll10.
# Usage: tools/bench/srt_loop.sh [publishers...] (default: 1 8 16)
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_PER_RUN=${SECONDS_PER_RUN:-20}
PORT=${PORT:-11090}
swift build -c release --product srt-harness >/dev/null
HARNESS=.build/release/srt-harness
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
ffmpeg -v error -y -f lavfi -i testsrc2=size=1280x720:rate=30 -f lavfi -i sine=frequency=440:sample_rate=48000 -t 20 \
    -c:v libx264 -preset veryfast -b:v 3000k -maxrate 3000k -bufsize 3000k -g 60 -pix_fmt yuv420p \
    -c:a aac -b:a 128k -f mpegts "$work/fixture.ts"
"$HARNESS" serve --port "$PORT" --seconds "$SECONDS_PER_RUN" --report "$work/idle.jsonl"
echo "{\"publishers\":\"idle\",$(grep '"summary"' "$work/idle.jsonl" | sed 's/^{//')"
for n in ${@:-1 8 16}; do
    report="$work/run-$n.jsonl"
    "$HARNESS" serve --port "$PORT" --demux --latency-probe --seconds "$SECONDS_PER_RUN" --report "$report" &
    harness=$!
    sleep 0.5
    pids=()
    for i in $(seq 1 "$n"); do
        ffmpeg -nostdin -v error -re -stream_loop -1 -i "$work/fixture.ts" -c copy -f mpegts \
            "srt://127.0.0.1:$PORT?streamid=#!::r=live/s$i,m=publish" >/dev/null 2>&1 &
        pids+=($!)
    done
    wait "$harness"
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    echo "{\"publishers\":$n,$(grep '"summary"' "$report" | sed 's/^{//')"
done
"$HARNESS" syswait --samples 300
