# The chores, one target each. CI runs .ci/run, which does what lint, test
# and e2e do, after installing MariaDB and Chromium.

GO ?= go
# Keep in step with STATICCHECK_VERSION in .ci/run (staticcheck 2026.2.2).
STATICCHECK_VERSION ?= v0.8.2

.PHONY: all build run-demo test vet lint e2e bench ci

all: build

build:
	$(GO) build -o bin/nodelist ./cmd/nodelist

run-demo:
	$(GO) run ./cmd/nodelist demo

test:
	$(GO) test -race ./...

vet:
	$(GO) vet ./...

lint:
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...

# The browser tests (debug page and dashboard) build the binary themselves unless NODELIST_BIN is set, and
# need Debian's /usr/bin/chromium (apt-get install chromium).
e2e: web/e2e/node_modules
	cd web/e2e && node --test

web/e2e/node_modules: web/e2e/package-lock.json
	cd web/e2e && npm ci --no-audit --no-fund
	touch $@

bench:
	$(GO) run ./bench

ci:
	bash .ci/run
