# The two set-up commands in the README: `make demo` and `make test`.
# Each installs what is missing first (scripts/deps.sh).
# Go's usual install place, for shells whose PATH lacks it.
export PATH := $(PATH):/usr/local/go/bin:$(HOME)/go/bin
GO      ?= go
BIN     := bin/skimwatch
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X github.com/skimwatch/skimwatch/internal/cli.Version=$(VERSION)
# Go test timeout for the whole suite; browser tests are the slow part.
TESTTIMEOUT ?= 40m

.PHONY: all build demo test test-short bench bench-fim bench-collector fuzz vet clean

all: build

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/skimwatch

demo: build
	@scripts/deps.sh demo
	$(BIN) demo

test:
	@scripts/deps.sh test
	$(GO) vet ./...
	SKIMWATCH_TEST_POSTGRES="$$(scripts/postgres.sh)" $(GO) test -timeout $(TESTTIMEOUT) ./...

# Unit tests only: no Chromium, PostgreSQL or yara.
test-short:
	$(GO) test -short ./...

bench: build
	@scripts/deps.sh bench
	$(GO) test -run '^$$' -bench . -benchtime 3x -timeout 30m ./internal/check/pagecheck/

bench-fim: build
	@scripts/deps.sh bench
	scripts/bench-fim.sh

bench-collector: build
	scripts/bench-collector.sh

vet:
	$(GO) vet ./...

clean:
	rm -rf bin
