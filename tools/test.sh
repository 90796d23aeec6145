#!/usr/bin/env bash
# Runs every test: unit tests and integration tests against the real `srs` binary with real
# clients. Installs what the build and the tests need (libsrt, ffmpeg, nftables, nginx, haproxy,
# chromium, promtool) with apt-get when they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# The build's own dependencies (libsrt for Sources/CSRT).
bash tools/deps.sh
need=()
# Debian's ffmpeg is built with SRT (the SRT tests publish and play with it).
# The SRT loss test drops packets with netem, or with nftables where the kernel has no netem.
command -v nft >/dev/null 2>&1 || need+=(nftables)
command -v ffmpeg >/dev/null 2>&1 || need+=(ffmpeg)
command -v ffprobe >/dev/null 2>&1 || need+=(ffmpeg)
[ -x /usr/sbin/nginx ] || need+=(nginx)
[ -x /usr/sbin/haproxy ] || need+=(haproxy)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
# promtool (PromtoolTests: the Prometheus text the exporter writes).
command -v promtool >/dev/null 2>&1 || need+=(prometheus)
if [ ${#need[@]} -gt 0 ]; then
    echo "tools/test.sh: installing ${need[*]}"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
# kubernetes-validate (PyPI): schema checks of etc/k8s/*.yaml (tools/validate_k8s.py, OpsFilesTests).
if command -v python3 >/dev/null 2>&1 && ! python3 -c 'import kubernetes_validate' >/dev/null 2>&1; then
    echo "tools/test.sh: installing kubernetes-validate"
    python3 -m pip install --quiet --disable-pip-version-check kubernetes-validate \
        || echo "tools/test.sh: pip install kubernetes-validate failed; OpsFilesTests will skip the manifests"
fi

log=$(mktemp)
if ! swift build --build-tests >"$log" 2>&1; then
    cat "$log"
    echo "tools/test.sh: build failed"
    exit 1
fi
grep -E 'warning:|error:' "$log" || true
rm -f "$log"
swift test --skip-build --disable-swift-testing
