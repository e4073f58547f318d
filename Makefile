# Weir — common tasks. The cargo target directory lives outside the clone so
# that CI and repeated clean clones build incrementally.
CARGO_TARGET_DIR ?= $(HOME)/.cache/weir-target
export CARGO_TARGET_DIR

.PHONY: run test lint check build release dist deps fmt clean-demo dashboard

## Start the gateway on its embedded defaults with a demo configuration
## (builds the web dashboard first when it is missing or stale).
run:
	./scripts/dashboard.sh build || echo "make run: the dashboard could not be built (needs Node 20 and npm); serving without it"
	./scripts/run-demo.sh

## The web dashboard in web/dist, embedded into the weir binary by cargo
## build: npm ci when the lock file changed, rebuilt when missing or stale.
dashboard:
	./scripts/dashboard.sh build

## Install what the tests and lints need, when missing (Debian packages,
## the dashboard's npm packages, schemathesis, rustfmt/clippy, cargo-machete):
## scripts/install-deps.sh, which `make test` and .ci/run run first.
deps:
	./scripts/install-deps.sh

## Run the whole test suite: installs what it needs first (scripts/
## install-deps.sh; seconds when all is there), then the dashboard's unit
## tests (vitest), the Rust tests (with schemathesis for the admin API's
## OpenAPI fuzz test), then the dashboard in a real browser against a real
## gateway (web/e2e, Debian's chromium).
test:
	./scripts/install-deps.sh
	./scripts/dashboard.sh build
	./scripts/dashboard.sh unit
	WEIR_SCHEMATHESIS="$$(./scripts/schemathesis-venv.sh)" \
		cargo test --workspace --all-targets --no-fail-fast
	cargo build -p weir
	./scripts/dashboard.sh e2e

## Formatting and lints, as CI runs them.
## cargo machete: no dependency that no code uses (false positives are
## listed with a reason under [package.metadata.cargo-machete]).
lint:
	./scripts/install-deps.sh rust
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings
	cargo machete

## Lints, then tests.
check: lint test

build:
	cargo build --workspace

release:
	cargo build --release -p weir

## The binary to ship: dashboard embedded, stripped (cargo profile `dist`),
## as dist/weir-<version>-<target-triple> with its .sha256 (scripts/dist.sh).
## A fat-LTO build: ~10 minutes on 2 cores.
dist:
	./scripts/dist.sh

fmt:
	cargo fmt --all

.PHONY: bench bench-smoke

## Benchmark Weir against nginx, HAProxy and the upstream hit directly, in one
## interleaved run (bench/, docs/performance.md): writes bench/results/LATEST.md.
## Takes ~45 min on a quiet machine; extra options via BENCH_ARGS="--only s1,s7".
bench:
	bench/run.sh $(BENCH_ARGS)

## The same harness with ~1 s per run, to prove it works (not a measurement;
## writes bench/results/smoke/). Not part of `make test`.
bench-smoke:
	bench/run.sh --smoke $(BENCH_ARGS)

.PHONY: soak

## A long run at a fixed rate with policies on and a reload every minute:
## passes when RSS grows less than 5 % after warm-up and no request fails
## (scripts/soak.sh; writes bench/results/soak/). SOAK_MINUTES (default 30),
## SOAK_RATE (default 500 req/s). Not part of `make test`.
soak:
	./scripts/soak.sh

.PHONY: fuzz

## Run every cargo-fuzz target (fuzz/, docs/security.md) for FUZZ_SECONDS
## each (default 120), one after another; installs cargo-fuzz when missing.
## Not part of `make test`, which only replays the saved corpus.
fuzz:
	FUZZ_SECONDS="$(or $(FUZZ_SECONDS),120)" ./scripts/fuzz.sh
