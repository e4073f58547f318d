#!/usr/bin/env bash
# `make dist`: the binary to ship. Builds the dashboard (so that it is
# embedded), then weir with the `dist` cargo profile (release, stripped, no
# debug info), and writes
#
#   dist/weir-<version>-<target-triple>
#   dist/weir-<version>-<target-triple>.sha256   (sha256sum format)
#
# WEIR_BUILD_COMMIT and SOURCE_DATE_EPOCH are passed on to the build (see
# crates/weir/build.rs): set them for a build from a tarball or a
# reproducible one. The dashboard is required here, unlike `make run`: a
# shipped binary without it would serve the "not built" page.
set -euo pipefail
cd "$(dirname "$0")/.."

target_dir="${CARGO_TARGET_DIR:-target}"
./scripts/dashboard.sh build
cargo build --locked --profile dist -p weir
bin="$target_dir/dist/weir"

# The binary's own answer, so the file name and `weir version` agree.
version=$("$bin" --version | awk '{print $2}')
triple=$(rustc -vV | sed -n 's/^host: //p')
name="weir-$version-$triple"

mkdir -p dist
cp "$bin" "dist/$name"
(cd dist && sha256sum "$name" >"$name.sha256")
"$bin" --version
ls -l "dist/$name"
cat "dist/$name.sha256"
