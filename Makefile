# Home Container Drive: build and test entry points (`make test` is what CI runs).
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c

NODE_TEST := node --import tsx --test --test-reporter=spec
# A test file named *.root.test.ts needs root throughout (mounts, loop devices, network namespaces,
# chroot); of the others, only two tests of test/provisioning/real-programs.test.ts need it (hostapd,
# update-alternatives). Each file runs in exactly one tier. test/image/steps.test.ts reads the image
# steps' sources (no root); the other image tests boot QEMU (image-test).
UNIT_TESTS := $(shell find test/daemon/unit test/daemon/http test/repo -name '*.test.ts' ! -name '*.root.test.ts' | sort) test/image/steps.test.ts
UNIT_ROOT_TESTS := $(shell find test/daemon/unit test/daemon/http test/repo -name '*.root.test.ts' | sort)
SERVER_TESTS := $(shell find test/daemon/server test/daemon/transfers test/bench -name '*.test.ts' 2>/dev/null | sort)
PROVISIONING_TESTS := $(shell find test/provisioning -name '*.test.ts' | sort)
HEALTH_TESTS := $(shell find test/daemon/health -name '*.test.ts' 2>/dev/null | sort)
WEB_TESTS := $(shell find test/web -name '*.test.ts' 2>/dev/null | sort)
NETWORK_TESTS := $(shell find test/network -name '*.test.ts' 2>/dev/null | sort)

.PHONY: all build typecheck check format format-check test test-unit test-unit-root test-server test-health test-web test-network test-provisioning bench clean

all: build

# The formatter (prettier, .prettierrc.json): `make format` rewrites, `make format-check` only looks.
format:
	npx prettier --write .

format-check:
	npx prettier --check .

build:
	npm run build

# The daemon, provisioning, scripts and tests; the image builder; the web UI (each has its own tsconfig).
typecheck:
	npx tsc -p tsconfig.json && npx tsc -p image/tsconfig.json && npx tsc -p web/tsconfig.json

# Before a commit, as any user, in well under a minute: the types, and the unit and in-process HTTP
# tests that need no root.
check: typecheck format-check test-unit

# The whole suite: types, unit and in-process HTTP tests, real-server tests, health, the browser,
# the network namespaces, provisioning, and the SD-card image built and booted under QEMU.
test: typecheck build test-unit test-unit-root test-server test-health test-web test-network test-provisioning image-test

# Unit and in-process HTTP tests (`app.request()`), as any user.
test-unit:
	$(NODE_TEST) $(UNIT_TESTS)

# The unit tests that need root: isMountPoint against a real tmpfs and a bind mount.
test-unit-root:
	$(NODE_TEST) $(UNIT_ROOT_TESTS)

# Real daemon processes over HTTP (needs `build`); disk-full.root.test.ts needs root (tmpfs mounts).
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
