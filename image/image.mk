# SD-card image targets (issue 8), included from the Makefile: `make image`, `make image-test`, `make bundle`.
# All need root (mmdebstrap --mode=root, loop devices, chroot through qemu-user) and write under .cache/image/.

# steps.test.ts is not one of them: it needs no image and runs in `make test-unit`.
IMAGE_TESTS := $(filter-out test/image/steps.test.ts,$(shell find test/image -name '*.test.ts' 2>/dev/null | sort))
# What the image targets run on this machine (Debian packages); installed when missing, as `make bench` does.
IMAGE_APT_PACKAGES := mmdebstrap arch-test qemu-user-static binfmt-support qemu-system-arm dosfstools e2fsprogs fdisk \
  xz-utils g++-aarch64-linux-gnu file mount util-linux mtools openssl

# image-test builds with a throwaway signing key unless HCD_BUNDLE_KEY names one: the image then carries its public
# half (/etc/homedrive/update-key.pem) and the .hcdb is signed, so updates can be tested. A release build sets
# HCD_BUNDLE_KEY to the project's real key (image/README.md); `make image` and `make bundle` alone never make a key.
TEST_BUNDLE_KEY := $(CURDIR)/.cache/image/test-bundle-key.pem
image-test: export HCD_BUNDLE_KEY ?= $(TEST_BUNDLE_KEY)
define ensure_test_bundle_key
	@if [ "$${HCD_BUNDLE_KEY:-}" = "$(TEST_BUNDLE_KEY)" ] && [ ! -s "$(TEST_BUNDLE_KEY)" ]; then \
	  mkdir -p "$(dir $(TEST_BUNDLE_KEY))" && (umask 077 && openssl genpkey -algorithm ed25519 -out "$(TEST_BUNDLE_KEY)") && \
	  echo "throwaway bundle signing key $(TEST_BUNDLE_KEY) (tests only)"; \
	fi
endef

.PHONY: image image-test bundle image-deps image-customize

image-deps:
	@missing=(); for p in $(IMAGE_APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' "$$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$$p"); \
	done; \
	if [ "$${#missing[@]}" -gt 0 ]; then \
	  echo "installing $${missing[*]}"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$${missing[@]}"; \
	fi

# The flashable image: .cache/image/out/homedrive-pi4-arm64.img.xz (+ .sha256, .manifest.txt).
image: image-deps
	$(ensure_test_bundle_key)
	nice -n 10 node --import tsx image/build.ts

# Boots a copy of the built image under qemu-system-aarch64 and checks the appliance end to end.
image-test: image
	$(NODE_TEST) $(IMAGE_TESTS)

# Node.js + daemon + web UI + provisioning for arm64: .cache/image/out/homedrive-*-linux-arm64-*.tar.xz (+ .sha256).
bundle: image-deps
	$(ensure_test_bundle_key)
	nice -n 10 node --import tsx image/bundle.ts

# Customises an existing Raspberry Pi OS Lite image: make image-customize IMG=path/to/raspios.img [CONFIG=hcd.json]
image-customize: bundle
	node --import tsx image/customize.ts --image "$(IMG)" --bundle "$$(ls -t .cache/image/out/homedrive-*-linux-arm64-*.tar.xz | head -1)" $(if $(CONFIG),--config "$(CONFIG)")
