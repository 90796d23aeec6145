# SwiftSRS: `make run` builds and runs the server on conf/srs.conf; `make test` runs every test.
SWIFT ?= swift
CONF ?= conf/srs.conf

.PHONY: all deps build debug run test bench clean

all: build

# Build dependencies besides Swift (libsrt), installed with apt-get when missing.
deps:
	bash tools/deps.sh

# Release build with a static Swift runtime, installed as ./objs/srs (SRS's layout).
build: deps
	$(SWIFT) build -c release --static-swift-stdlib
	mkdir -p objs objs/nginx/html
	cp -f .build/release/srs objs/srs
	cp -rn html/. objs/nginx/html/ 2>/dev/null || true

debug: deps
	$(SWIFT) build

run: build
	./objs/srs -c $(CONF)

# Installs what the tests need (ffmpeg...) when missing, builds, runs unit + integration tests.
test:
	bash tools/test.sh

bench: build
	bash tools/bench/rtmp_players.sh

clean:
	rm -rf .build objs
