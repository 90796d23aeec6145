#!/usr/bin/env bash
# Builds SRS 7 (the C++ server SwiftSRS replaces) from its source, for the benchmarks: the
# third server next to SwiftSRS and nginx-rtmp in rtmp_players.sh and rtmp_publishers.sh.
#
# Getting the source (this script does not download anything):
#   git clone https://github.com/ossrs/srs && git -C srs checkout v7.0.18
#   SRS_SRC=$PWD/srs bash tools/bench/build_srs.sh
# (the benchmarks in docs/benchmarks.md used v7.0.18, commit 101382afd of the develop branch).
#
# It builds in the tree, with SRS's own default compiler flags and exactly:
#   ./configure --rtc=off --srt=off --ffmpeg-fit=off --ffmpeg-opus=off --utest=off \
#       --gb28181=off --sanitizer=off --sys-ssl=on && make
# installing the build dependencies with apt-get first when missing. About a minute on an idle
# 2-core machine. Prints the binary's path: pass it to the benchmarks as SRS7_BIN.
#
# Environment:
#   SRS_SRC  the SRS source tree (the directory holding trunk/) [required]
#   FORCE    1: configure and build even when trunk/objs/srs exists [0]
set -euo pipefail

say() { echo "build_srs: $*" >&2; }
die() { say "$*"; exit 1; }

[ -n "${SRS_SRC:-}" ] || die "set SRS_SRC to an SRS source tree (git clone https://github.com/ossrs/srs; git checkout v7.0.18)"
trunk=$SRS_SRC/trunk
[ -x "$trunk/configure" ] || die "no $trunk/configure: SRS_SRC is not an SRS source tree"
bin=$trunk/objs/srs

if [ -x "$bin" ] && [ "${FORCE:-0}" != 1 ]; then
    say "already built: $bin ($("$bin" -v 2>&1 | head -1)); FORCE=1 rebuilds"
    echo "$bin"
    exit 0
fi

# What SRS's auto/depends.sh checks for with these options (perl, gcc, g++, make, patch,
# unzip, automake, pkg-config, which) plus what its bundled libraries' builds run (autoconf,
# libtool) and OpenSSL's headers for --sys-ssl=on. tclsh and cmake are only for SRT (off).
need=()
for tool in perl:perl gcc:gcc g++:g++ make:make patch:patch unzip:unzip automake:automake \
    autoconf:autoconf libtoolize:libtool pkg-config:pkg-config which:debianutils; do
    command -v "${tool%%:*}" >/dev/null 2>&1 || need+=("${tool#*:}")
done
[ -f /usr/include/openssl/ssl.h ] || need+=(libssl-dev)
if [ ${#need[@]} -gt 0 ]; then
    say "installing ${need[*]}"
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

cd "$trunk"
# Logs beside trunk/: configure cleans parts of trunk/objs.
logs=$SRS_SRC/build_srs
say "configuring and building in $trunk (logs: $logs.{configure,make}.log)"
./configure --rtc=off --srt=off --ffmpeg-fit=off --ffmpeg-opus=off --utest=off --gb28181=off --sanitizer=off --sys-ssl=on \
    >"$logs.configure.log" 2>&1 || { tail -20 "$logs.configure.log" >&2; die "configure failed"; }
make >"$logs.make.log" 2>&1 || { tail -30 "$logs.make.log" >&2; die "make failed"; }
[ -x "$bin" ] || die "make did not produce $bin"
say "built $bin ($("$bin" -v 2>&1 | head -1))"
echo "$bin"
