# SwiftSRS image: `docker build -t swiftsrs/srs:1 .` then
#   docker run --rm -p 1935:1935 -p 1985:1985 -p 8080:8080 swiftsrs/srs:1
# Same layout as SRS's images (/usr/local/srs with objs/srs, conf/, objs/nginx/html,
# etc/init.d/srs), so SRS's Kubernetes manifests and preStop hooks work unchanged.
# See docs/kubernetes.md.

# Build stage: the official Swift toolchain on Debian 12, the same Debian as the runtime stage
# (the binary links glibc, libstdc++ and libgcc_s dynamically; the Swift runtime is static).
ARG SWIFT_VERSION=6.3
FROM swift:${SWIFT_VERSION}-bookworm AS build
# libsrt for SRT (Sources/CSRT), found with pkg-config.
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libsrt-openssl-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# The manifest and sources only (see .dockerignore); the tests are needed by the manifest.
COPY Package.swift ./
COPY Sources ./Sources
COPY Tests ./Tests
RUN swift build -c release --static-swift-stdlib --product srs \
    && install -D -m 0755 .build/release/srs /out/srs

# Runtime stage: only what the server and its operators need.
FROM debian:bookworm-slim
# libstdc++6 and libsrt1.5-openssl (SRT, with its libssl3): the binary's non-base libraries.
# curl: the HEALTHCHECK and `kubectl exec curl` for the API. tzdata: so TZ=... gives local log
# timestamps, as SRS's logs have.
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libstdc++6 libsrt1.5-openssl curl tzdata \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /usr/local/srs
COPY --from=build /out/srs ./objs/srs
COPY conf/srs.conf ./conf/srs.conf
COPY html/ ./objs/nginx/html/
COPY init.d/srs ./etc/init.d/srs
# The server runs as root like SRS's image (it writes HLS to mounted volumes; set
# securityContext.runAsUser in Kubernetes for another uid, with writable objs/ and volumes).
EXPOSE 1935 1985 8080
# PID 1 is the server's master process itself (no init shim): it reaps its children, and
# `daemon on` turns itself off in containers (disable_daemon_for_docker). SIGTERM (docker
# stop) is a fast quit unless the config has `force_grace_quit on`; `docker kill -s QUIT` or
# `etc/init.d/srs grace` drains.
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
    CMD curl -fsS -o /dev/null http://127.0.0.1:1985/healthz || exit 1
CMD ["./objs/srs", "-c", "conf/srs.conf"]
