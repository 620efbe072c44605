# The chores, one target each; CI (.ci/run) installs and starts what the
# tests need (MariaDB, Chromium), then runs `make ci-checks`.

GO ?= go
# staticcheck 2026.2.2; the first release line that supports Go 1.26.
STATICCHECK_VERSION ?= v0.8.2
# Where the browser test puts its binary and screenshots.
E2E_DIR ?= /tmp/nodelist-e2e

.PHONY: all build run-demo fmt-check vet staticcheck lint test e2e bench image ci ci-checks

all: build

# What `nodelist version` and nodelist_build_info report; empty values
# (no git) fall back to what go build records.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null)
REVISION ?= $(shell git rev-parse HEAD 2>/dev/null)
LDFLAGS = -X main.version=$(VERSION) -X main.revision=$(REVISION)

build:
	$(GO) build -ldflags '$(LDFLAGS)' -o bin/nodelist ./cmd/nodelist

run-demo:
	$(GO) run ./cmd/nodelist demo

# gofmt over the tracked Go files; fails listing those that need it.
fmt-check:
	@out=$$(git ls-files -z -- '*.go' | xargs -0 -r gofmt -l); \
	if [ -n "$$out" ]; then echo "gofmt -l lists files that need formatting:"; echo "$$out"; exit 1; fi; \
	echo "all tracked Go files are formatted"

vet:
	$(GO) vet ./...

staticcheck:
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...

lint: fmt-check vet staticcheck

# Then the tests too large for the race detector (50 000 entries on one
# origin), which skip themselves under it.
test:
	$(GO) test -race ./...
	$(GO) test -run 'TestPiledOriginKeepsItsHonestNode' ./internal/refresh

# The browser tests (debug page, dashboard, API docs) drive Debian's
# /usr/bin/chromium (apt-get install chromium) against the demo built here,
# and leave their screenshots in E2E_DIR.
e2e:
	mkdir -p $(E2E_DIR)
	$(GO) build -o $(E2E_DIR)/nodelist ./cmd/nodelist
	cd web/e2e && npm ci --no-audit --no-fund && \
		NODELIST_BIN=$(E2E_DIR)/nodelist NODELIST_SCREENSHOT_DIR=$(E2E_DIR) node --test
	@echo "screenshots:" $(E2E_DIR)/nodelist-*.png

bench:
	$(GO) run ./bench

# A FROM scratch container image (deploy/Containerfile): a static binary
# (CGO is not needed: SQLite is pure Go), the host's CA bundle and a /data
# folder owned by nobody. No base image, so no registry is contacted.
CONTAINER ?= podman
IMAGE ?= nodelist
IMAGE_CTX ?= /tmp/nodelist-image
image:
	rm -rf $(IMAGE_CTX) && mkdir -p $(IMAGE_CTX)/data
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags='-s -w' -o $(IMAGE_CTX)/nodelist ./cmd/nodelist
	cp /etc/ssl/certs/ca-certificates.crt $(IMAGE_CTX)/
	$(CONTAINER) build -f deploy/Containerfile -t $(IMAGE) $(IMAGE_CTX)

# What CI checks once the machine is ready.
ci-checks: lint test e2e

ci:
	bash .ci/run
