#!/usr/bin/env bash
# Entry point of `make bench` and `make bench-smoke`: install the tools, build
# Weir's release binary (a no-op when it is up to date) and the load client,
# then run the harness. Arguments go to bench/run.py (see --help), e.g.
#   bench/run.sh --smoke
#   bench/run.sh --only s1,s7 --reps 5
# WEIR_BIN=/path/to/weir skips the cargo build and benchmarks that binary.
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/weir-target}"
export WEIR_BENCH_TARGET_DIR="${WEIR_BENCH_TARGET_DIR:-$HOME/.cache/weir-bench-target}"

bench/setup.sh
if [ -z "${WEIR_BIN:-}" ]; then
    echo "bench: cargo build --release -p weir"
    cargo build --release -p weir --quiet
    WEIR_BIN="$CARGO_TARGET_DIR/release/weir"
fi
export WEIR_BIN
export WEIR_LOADGEN="$WEIR_BENCH_TARGET_DIR/release/weir-loadgen"

# Scenario 8 holds 10,000 client connections: raise the open-file limit as far
# as this machine allows (run.py checks it is enough).
ulimit -n "$(ulimit -Hn)"

# run.py starts every server itself, in its own session with a parent-death
# signal, and stops them in a finally block on exit, error, SIGINT, SIGTERM or
# SIGHUP; exec so that those signals reach it directly.
exec python3 bench/run.py "$@"
