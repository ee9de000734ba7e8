# Home Container Drive: build and test entry points (`make test` is what CI runs).
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c

NODE_TEST := node --import tsx --test --test-reporter=spec
# test/image/steps.test.ts reads the image steps' sources (no root); the other image tests boot QEMU (image-test).
UNIT_TESTS := $(shell find test/daemon/unit test/daemon/http -name '*.test.ts' | sort) test/image/steps.test.ts
SERVER_TESTS := $(shell find test/daemon/server test/daemon/transfers test/bench -name '*.test.ts' 2>/dev/null | sort)
PROVISIONING_TESTS := $(shell find test/provisioning -name '*.test.ts' | sort)
HEALTH_TESTS := $(shell find test/daemon/health -name '*.test.ts' 2>/dev/null | sort)
WEB_TESTS := $(shell find test/web -name '*.test.ts' 2>/dev/null | sort)
NETWORK_TESTS := $(shell find test/network -name '*.test.ts' 2>/dev/null | sort)

.PHONY: all build typecheck test test-unit test-server test-health test-web test-network test-provisioning bench clean

all: build

build:
	npm run build

# The daemon, provisioning, scripts and tests; the image builder; the web UI (each has its own tsconfig).
typecheck:
	npx tsc -p tsconfig.json && npx tsc -p image/tsconfig.json && npx tsc -p web/tsconfig.json

# The whole suite: types, unit and in-process HTTP tests, real-server tests, health, the browser,
# the network namespaces, provisioning, and the SD-card image built and booted under QEMU.
test: typecheck build test-unit test-server test-health test-web test-network test-provisioning image-test

test-unit:
	$(NODE_TEST) $(UNIT_TESTS)

# Real daemon processes over HTTP (needs `build`); some need root (tmpfs mounts).
test-server: build
	$(NODE_TEST) $(SERVER_TESTS)

# Health readers on fixtures, jobs, and a loop-mounted ext4 SSD (needs root).
test-health: build
	$(NODE_TEST) $(HEALTH_TESTS)

# The web UI in Debian's Chromium through playwright-core, against a real daemon.
test-web: build
	$(NODE_TEST) $(WEB_TESTS)

# dnsmasq and the daemon in a "pi" network namespace, a "phone" namespace over veth (needs root).
test-network: build
	$(NODE_TEST) $(NETWORK_TESTS)

# Templates, real hostapd/dnsmasq/systemd checks, and an mmdebstrap root (needs root).
test-provisioning:
	$(NODE_TEST) $(PROVISIONING_TESTS)

# Throughput, memory and CPU against nginx on loopback (needs nginx: installed here if missing, as root).
bench: build
	command -v nginx >/dev/null || { apt-get update && apt-get install -y --no-install-recommends nginx; }
	node --import tsx scripts/bench/run.ts

clean:
	rm -rf dist

# make image, make image-test, make bundle, make image-customize.
include image/image.mk
