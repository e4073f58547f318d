#!/usr/bin/env bash
# Run Weir's cargo-fuzz targets (fuzz/, bodies in crates/weir-fuzz), one at a
# time, each for FUZZ_SECONDS (default 120). See docs/security.md.
#
#   FUZZ_SECONDS=900 make fuzz              # 15 minutes per target
#   FUZZ_TARGETS="jwt ip_list" make fuzz    # some targets only
#   FUZZ_JOBS=2 make fuzz                   # parallel libFuzzer jobs per target
#
# Only the stable toolchain is installed: RUSTC_BOOTSTRAP=1 lets it take the
# sanitizer flags cargo-fuzz passes. New inputs the fuzzer finds go to
# fuzz/work/<target>/ (ignored by git); the seeds in fuzz/corpus/<target>/
# are read, never written. A crash is saved under fuzz/artifacts/<target>/:
# fix the bug, then copy the file into fuzz/corpus/<target>/ so `cargo test`
# (crates/weir-fuzz/tests/replay.rs) keeps it fixed.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${FUZZ_SECONDS:-120}"
jobs="${FUZZ_JOBS:-1}"
target_dir="${CARGO_TARGET_DIR:-$PWD/target}/fuzz"

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "make fuzz: installing cargo-fuzz (once)"
    cargo install cargo-fuzz --locked
fi
# Fuzz with the workspace's dependency versions.
[ -f fuzz/Cargo.lock ] || cp Cargo.lock fuzz/Cargo.lock

export RUSTC_BOOTSTRAP=1
targets="${FUZZ_TARGETS:-$(cargo fuzz list --fuzz-dir fuzz)}"
if [ -n "${FUZZ_TARGETS:-}" ]; then
    for t in $targets; do cargo fuzz build --fuzz-dir fuzz --target-dir "$target_dir" "$t"; done
else
    cargo fuzz build --fuzz-dir fuzz --target-dir "$target_dir"
fi

failed=()
summary=()
for t in $targets; do
    mkdir -p "fuzz/work/$t"
    log="fuzz/work/$t.log"
    echo "== $t: ${seconds}s"
    flags=(-max_total_time="$seconds" -print_final_stats=1)
    if [ "$jobs" -gt 1 ]; then
        flags+=(-jobs="$jobs" -workers="$jobs")
    fi
    # The verdict comes from the log below, not from the exit status.
    cargo fuzz run --fuzz-dir fuzz --target-dir "$target_dir" "$t" \
        "fuzz/work/$t" "fuzz/corpus/$t" -- "${flags[@]}" >"$log" 2>&1 || true
    grep -E '^(#[0-9]+ +DONE|Done [0-9]+ runs|SUMMARY)' "$log" || true
    runs="$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$log" | awk '{n += $2} END {print n + 0}')"
    if grep -qE 'ERROR: libFuzzer|SUMMARY: (Address|Undefined|Leak)Sanitizer|panicked at|deadly signal' "$log"; then
        failed+=("$t")
        summary+=("$t: CRASH after $runs executions (see $log and fuzz/artifacts/$t/)")
    else
        summary+=("$t: $runs executions in ${seconds}s, no crash")
    fi
done

echo
echo "== fuzz summary"
printf '%s\n' "${summary[@]}"
if [ "${#failed[@]}" -gt 0 ]; then
    echo "crashed: ${failed[*]}" >&2
    exit 1
fi
