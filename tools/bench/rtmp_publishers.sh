#!/usr/bin/env bash
# RTMP publishers benchmark (the origin's load, issue 18 goal 4): N publishers of a 300 kb/s
# stream into SwiftSRS vs SRS 7 vs nginx-rtmp, with HLS off and on, one table.
#
# For each publisher count and HLS mode, ROUNDS times, each server in turn (interleaved): start
# the server on a free loopback port (HLS: written to a scratch dir on a tmpfs, 10 s fragments,
# 60 s window, SRS's defaults, for all three), then `srs-bench publish`: N publishers, each to
# its own stream live/pub-1..N, of one pre-encoded clip (640x360 H.264 ~250 kb/s + AAC 48 kb/s,
# keyframe every 2 s) looped in real time. srs-bench samples the server's CPU and RSS over the
# steady window and reports publish failures, disconnects, and how late the publishers' media
# went out (a server that reads too slowly makes the publishers fall behind). A row per run,
# then (ROUNDS > 1) the median of each column per server.
#
# Environment (defaults in brackets):
#   PUBLISHERS  publisher counts to run ["100 500 1000"]
#   HLS         HLS modes to run, "off" and/or "on" ["off on"]
#   SERVERS     servers to run, any of: swiftsrs srs nginx ["swiftsrs srs nginx" when an SRS 7
#               binary is known, else "swiftsrs nginx"]; srs needs SRS7_BIN (build_srs.sh)
#   ROUNDS      interleaved rounds; the table of medians follows [1]
#   WORKERS     SwiftSRS worker_processes [1]
#   RATE        new publishers per second [50]
#   WARMUP      seconds after the ramp before the window [5]
#   DURATION    window seconds [30]
#   BEHIND_MS   a publisher whose media went out later than this "fell behind" [1000]
#   CLIP_SECONDS  length of the looped clip [10]
#   VIDEO_BITRATE [250k]  AUDIO_BITRATE [48k]
#   CLIP        use this FLV instead of encoding one
#   HLS_DIR     where the servers' HLS dirs go [/dev/shm when writable, else the scratch dir]
#   IDLE_WAIT, PIN, SERVER_CPUS [0], CLIENT_CPUS [1]   as in rtmp_players.sh
#   SRS_BIN, BENCH_BIN, SCRATCH, SRS7_BIN, SRS_SRC  the binaries (see tools/bench/lib.sh)
#   RESULTS     file to append one JSON line per run to [./objs/bench/rtmp_publishers.jsonl]
#   PERF_DIR    profile every server process during the window (`perf record -g`) into
#               PERF_DIR/<server>-<publishers>-hls-<off|on>-r<round>.data
set -euo pipefail
cd "$(dirname "$0")/../.."
BENCH_NAME=rtmp_publishers
# shellcheck source=tools/bench/lib.sh
source tools/bench/lib.sh

PUBLISHERS=${PUBLISHERS:-"100 500 1000"}
HLS=${HLS:-"off on"}
SERVERS=${SERVERS:-$(default_servers)}
ROUNDS=${ROUNDS:-1}
WORKERS=${WORKERS:-1}
RATE=${RATE:-50}
WARMUP=${WARMUP:-5}
DURATION=${DURATION:-30}
BEHIND_MS=${BEHIND_MS:-1000}
CLIP_SECONDS=${CLIP_SECONDS:-10}
VIDEO_BITRATE=${VIDEO_BITRATE:-250k}
AUDIO_BITRATE=${AUDIO_BITRATE:-48k}
RESULTS=${RESULTS:-$PWD/objs/bench/rtmp_publishers.jsonl}
mkdir -p "$(dirname "$RESULTS")"
for h in $HLS; do [ "$h" = on ] || [ "$h" = off ] || die "HLS: want off and/or on, not $h"; done

need=(ffmpeg:ffmpeg taskset:util-linux ss:iproute2 pgrep:procps)
[[ " $SERVERS " != *" nginx "* ]] || need+=(/usr/sbin/nginx:nginx "$NGINX_MODULE:libnginx-mod-rtmp")
need_tools "${need[@]}"
find_binaries "$SERVERS"

# HLS output: on a tmpfs, so the disk (and other people's I/O on it) stays out of the figures.
if [ -z "${HLS_DIR:-}" ]; then
    HLS_DIR=$tmp
    [ -d /dev/shm ] && [ -w /dev/shm ] && HLS_DIR=/dev/shm
fi
hls_base=$(mktemp -d "$HLS_DIR/$BENCH_NAME-hls.XXXXXX")
scratch_dirs+=("$hls_base")
# nginx's workers run as nobody when its master runs as root.
chmod 0755 "$hls_base"

# --- the clip --------------------------------------------------------------------------------
if [ -z "${CLIP:-}" ]; then
    CLIP=$tmp/clip.flv
    say "encoding a ${CLIP_SECONDS}s 640x360 H.264 $VIDEO_BITRATE + AAC $AUDIO_BITRATE clip"
    ffmpeg -hide_banner -loglevel error -nostdin -y \
        -f lavfi -i "testsrc2=size=640x360:rate=25" -f lavfi -i "sine=frequency=440:sample_rate=48000" \
        -t "$CLIP_SECONDS" -c:v libx264 -preset veryfast -b:v "$VIDEO_BITRATE" -maxrate "$VIDEO_BITRATE" -bufsize "$VIDEO_BITRATE" \
        -g 50 -keyint_min 50 -sc_threshold 0 -pix_fmt yuv420p -c:a aac -b:a "$AUDIO_BITRATE" -f flv "$CLIP"
fi
[ -s "$CLIP" ] || die "no clip at $CLIP"

# Sets `playlists` to how many of the streams pub-1..pub-$1 have a playlist in $hls_dir (SRS
# and SwiftSRS write live/pub-N.m3u8, nginx-rtmp pub-N.m3u8) and `missing` to the others. Each
# path is looked up (stat), not listed: the servers rewrite their playlists by rename while
# the publishers' disconnects are handled, and a directory listing taken meanwhile can miss
# entries being renamed over.
count_playlists() {
    local i
    playlists=0 missing=""
    for i in $(seq 1 "$1"); do
        if [ -f "$hls_dir/live/pub-$i.m3u8" ] || [ -f "$hls_dir/pub-$i.m3u8" ]; then
            playlists=$((playlists + 1))
        else
            missing+="pub-$i "
        fi
    done
}

# A run with fewer playlists than streams: keeps the server's logs, the streams without a
# playlist and the files of the HLS dir, next to RESULTS (<results>-logs/$1/), for a look later.
keep_hls_evidence() {
    local out=${RESULTS%.jsonl}-logs/$1
    mkdir -p "$out"
    cp "$server_dir"/*.log "$server_dir"/logs/*.log "$out"/ 2>/dev/null || true
    tr ' ' '\n' <<<"$missing" | sed '/^$/d' >"$out/missing-playlists.txt"
    find "$hls_dir" -type f -printf '%P %s\n' | sort >"$out/hls-files.txt"
    say "$(wc -l <"$out/missing-playlists.txt") streams without a playlist: logs and HLS files in $out"
}

# One measurement of (server, HLS, publishers) on a fresh server. Sets `json`, `idle_mb`,
# `playlists` and `note`; returns 3 when another process shared the port (not valid).
attempt() {
    local kind=$1 hls=$2 n=$3 name=$4 tree budget intruders others hls_dir=""
    json="" note="" idle_mb=- playlists=-
    wait_idle
    free_port
    if [ "$hls" = on ]; then
        hls_dir=$hls_base/$kind-$port
        mkdir -p "$hls_dir"
        chmod 0777 "$hls_dir"
    fi
    start_server "$kind" "$WORKERS" - "$hls_dir"
    tree=$(pid_tree "$server_pid")
    idle_mb=$(rss_mb "$tree")
    budget=$(awk -v n="$n" -v r="$RATE" -v w="$WARMUP" -v d="$DURATION" 'BEGIN { printf "%d", n / r + w + d + 60 }')
    bench_err=$server_dir/bench.err
    perf_window "$(awk -v n="$n" -v r="$RATE" -v w="$WARMUP" 'BEGIN { printf "%d", n / r + w + 1 }')" \
        "$((DURATION - 2))" "$tree" "$name-$n-hls-$hls-r${round:-1}"
    run_bench "$budget" publish --url "rtmp://127.0.0.1:$port/live/pub-{i}" --clip "$CLIP" --publishers "$n" \
        --rate "$RATE" --warmup "$WARMUP" --duration "$DURATION" --behind-ms "$BEHIND_MS" \
        --pids "$tree" ${server_cpu_list:+--server-cpus "$server_cpu_list"} --label "$name" --json
    perf_done
    kill -0 "$server_pid" 2>/dev/null || note="server died${note:+; $note}"
    intruders=$(port_intruders "$port" "$tree" | tr '\n' ' ')
    if [ -n "$hls_dir" ]; then
        count_playlists "$n"
        [ "$playlists" -ge "$n" ] || keep_hls_evidence "$name-$n-r${round:-1}"
    fi
    stop_all
    [ -z "$hls_dir" ] || rm -rf "$hls_dir"
    [ -n "$json" ] || note="srs-bench failed rc=$rc: $(tail -1 "$bench_err")"
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

# Runs one (server, HLS, publishers) combination in round $4; prints a table row, appends the
# JSON to $RESULTS and the row's numbers to $tmp/rows.tsv.
run_one() {
    local kind=$1 hls=$2 n=$3 round=$4 name try late unread pub cpu rss lag client per100 percore perstream reasons
    case "$kind" in
        swiftsrs) name="swiftsrs ${WORKERS}w" ;;
        srs) name="srs 7" ;;
        nginx) name="nginx-rtmp" ;;
        *) die "unknown server $kind (want swiftsrs, srs or nginx)" ;;
    esac
    for try in 1 2 3; do
        attempt "$kind" "$hls" "$n" "$name" && break
        say "$name, $n publishers, HLS $hls: $note (try $try)"
    done
    if [ -z "$json" ]; then
        say "$name: $note"
        printf '| %s | %s | %s | %s | - | - | - | - | - | - | - | - | - | - | - | - | - | %s |\n' "$n" "$hls" "$name" "$round" "$note"
        return 0
    fi
    echo "{\"round\":$round,\"server\":\"$name\",\"hls\":\"$hls\",\"rss_idle_mb\":$idle_mb,\"hls_playlists\":\"$playlists\",${json#\{}" >>"$RESULTS"
    late=$(jobj lateness_ms "$json")
    unread=$(jobj server_unread_kb "$json")
    lag=$(jobj client_lag_ms "$json")
    pub=$(jget publishing "$json")
    cpu=$(jnum server_cpu_percent "$json")
    rss=$(jnum server_rss_mb "$json")
    client=$(jnum client_cpu_percent "$json")
    # Per stream: CPU % of a core per 100 streams, the streams one core would carry at that
    # rate (an extrapolation), and what each stream added to the server's memory.
    read -r per100 percore perstream < <(awk -v c="$cpu" -v p="$pub" -v r="$rss" -v i="$idle_mb" 'BEGIN {
        if (c == "-" || p == 0) printf "- - "; else printf "%.2f %.0f ", c * 100 / p, (c > 0 ? 100 * p / c : 0)
        if (r == "-" || i == "-" || p == 0) print "-"; else printf "%.1f\n", (r - i) * 1024 / p }')
    if [ "$hls" = on ] && [ "$playlists" != - ] && [ "$playlists" -lt "$pub" ]; then
        note="only $playlists HLS playlists for $pub streams${note:+; $note}"
    fi
    reasons=$(jobj failures "$json" | tr -d '"' | sed 's/,/; /g')
    [ -z "$reasons" ] || note="$reasons${note:+; $note}"
    # A busy client delays every publisher: its lateness then says nothing about the server.
    if awk -v c="$client" -v l="$(jget p99 "$lag")" 'BEGIN { exit !((c != "-" && c >= 80) || (l != "" && l != "null" && l >= 50)) }'; then
        note="client busy (CPU $client%, loop lag p99 $(jget p99 "$lag") ms)${note:+; $note}"
    fi
    local v=(
        "$pub" "$(jget failed "$json")" "$(jget disconnected "$json")" "$(jget behind "$json")" "$(jget behind_ever "$json")"
        "$(jnum p50 "$late")" "$(jnum p99 "$late")" "$(jnum max "$late")" "$(jnum p99 "$unread")" "$(jnum max "$unread")"
        "$(jnum mbps "$json")" "$(jnum expected_mbps "$json")" "$cpu" "$per100" "$percore" "$rss" "$perstream"
        "$playlists" "$client" "$(jnum p99 "$lag")"
    )
    printf '| %s | %s | %s | %s | %s | %s/%s | %s (%s) | %s / %s / %s | %s / %s | %s / %s | %s | %s | %s | %s | %s | %s | %s / %s | %s |\n' \
        "$n" "$hls" "$name" "$round" "${v[@]}" "$note"
    (IFS=$'\t'; echo "| $n | $hls | $name |"$'\t'"${v[*]}") >>"$tmp/rows.tsv"
}

# --- run -------------------------------------------------------------------------------------
say "$(versions "$SERVERS"); $ncpu CPUs"
say "clip $CLIP; publishers '$PUBLISHERS' at $RATE/s, HLS '$HLS' (in $hls_base), warmup ${WARMUP}s, window ${DURATION}s, $ROUNDS round(s); results in $RESULTS"
if [ "$PIN" = 1 ]; then
    say "pinned: server on CPU ${SERVER_CPUS:-0}, client on CPU $CLIENT_CPUS"
fi
echo
echo "| publishers | HLS | server | round | publishing | failed/disconnected | behind (ever) | lateness p50 / p99 / max ms | server unread p99 / max KB | Mbps sent / clip × N | server CPU % | CPU % per 100 streams | streams/core (est.) | RSS MB | RSS/stream KB | HLS playlists | client CPU % / lag p99 ms | note |"
echo "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
for n in $PUBLISHERS; do
    for hls in $HLS; do
        for round in $(seq "$ROUNDS"); do
            for kind in $SERVERS; do run_one "$kind" "$hls" "$n" "$round"; done
        done
    done
done
if [ "$ROUNDS" -gt 1 ] && [ -s "$tmp/rows.tsv" ]; then
    echo
    echo "Medians of $ROUNDS rounds (server CPU: median (min – max)):"
    echo
    echo "| publishers | HLS | server | runs | publishing | failed/disconnected | behind (ever) | lateness p50 / p99 / max ms | server unread p99 / max KB | Mbps sent / clip × N | server CPU % | CPU % per 100 streams | streams/core (est.) | RSS MB | RSS/stream KB | HLS playlists | client CPU % / lag p99 ms |"
    echo "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    median_rows "$tmp/rows.tsv" " {n} | {1} | {2}/{3} | {4} ({5}) | {6} / {7} / {8} | {9} / {10} | {11} / {12} | {13~} | {14} | {15} | {16} | {17} | {18} | {19} / {20} |"
fi
echo
say "CPU % is of one core, summed over the server's processes; RSS summed, max over the window."
say "behind: publishers whose media went out more than $BEHIND_MS ms after it was due, in the window (ever: since they started)."
say "lateness: when a tag's last byte was handed to the kernel, minus its due time (includes up to 10 ms of pacing tick)."
say "server unread: bytes of a publisher's stream waiting unread in the server's socket (max per publisher over 1 s samples)."
say "streams/core (est.): 100 × publishing / server CPU %, i.e. if CPU grew linearly with streams."
say "RSS/stream: (RSS in the window - RSS of the idle server) / publishing."
