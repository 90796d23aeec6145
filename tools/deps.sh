#!/usr/bin/env bash
# Installs what building SwiftSRS needs besides Swift, with apt-get, when it is missing: Debian's
# libsrt (the SRT target links it, found with pkg-config). `make build`, `make run` and
# `make test` call it, so both README commands work on a fresh Debian machine.
set -euo pipefail
need=()
command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
pkg-config --exists srt 2>/dev/null || need+=(libsrt-openssl-dev)
[ ${#need[@]} -eq 0 ] && exit 0
echo "tools/deps.sh: installing ${need[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
