# Home Container Drive: build and test entry points (`make test` is what CI runs).
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c

NODE_TEST := node --import tsx --test --test-reporter=spec
UNIT_TESTS := $(shell find test/daemon/unit test/daemon/http -name '*.test.ts' | sort)
SERVER_TESTS := $(shell find test/daemon/server test/daemon/transfers test/bench -name '*.test.ts' 2>/dev/null | sort)
PROVISIONING_TESTS := $(shell find test/provisioning -name '*.test.ts' | sort)

.PHONY: all build typecheck test test-unit test-server test-provisioning bench clean

all: build

build:
	npm run build

typecheck:
	npx tsc -p tsconfig.json

# The whole suite: types, unit and in-process HTTP tests, real-server tests, provisioning.
test: typecheck build test-unit test-server test-provisioning

test-unit:
	$(NODE_TEST) $(UNIT_TESTS)

# Real daemon processes over HTTP (needs `build`); some need root (tmpfs mounts).
test-server: build
	$(NODE_TEST) $(SERVER_TESTS)

# Templates, real hostapd/dnsmasq/systemd checks, and an mmdebstrap root (needs root).
test-provisioning:
	$(NODE_TEST) $(PROVISIONING_TESTS)

# Throughput, memory and CPU against nginx on loopback (needs nginx: installed here if missing, as root).
bench: build
	command -v nginx >/dev/null || { apt-get update && apt-get install -y --no-install-recommends nginx; }
	node --import tsx scripts/bench/run.ts

clean:
	rm -rf dist
