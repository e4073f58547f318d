#!/usr/bin/env bash
# Everything the lints and the test suite need on a fresh Debian machine,
# installed only when missing: the first step of `make test` and of .ci/run.
# A second run only checks (a few seconds).
#
#   scripts/install-deps.sh         # all of it
#   scripts/install-deps.sh rust    # only the Rust tools `make lint` runs
#
# - Debian packages: sqlite3 (tests that inspect stores directly), python3 +
#   python3-venv (schemathesis), chromium + fonts-wqy-microhei (dashboard
#   browser tests; the font makes zh-CN screenshots show text),
#   kubernetes-client (`kubectl kustomize` renders deploy/ in a test), curl
#   (the compression tests decode through `curl --compressed`; Debian's is
#   built with brotli and zstd).
#   Installed with apt-get, through sudo when not root; without either, the
#   script stops and names what is missing.
# - Node.js 20 or newer with npm, then the dashboard's npm packages
#   (scripts/dashboard.sh deps). Debian 12's own nodejs is too old for the
#   dashboard's vite, so Node is checked, never installed.
# - The schemathesis virtualenv (scripts/schemathesis-venv.sh).
# - Rust: the rustfmt and clippy components, and cargo-machete (unused
#   dependencies) from crates.io into ~/.cargo/bin, at a pinned version.
set -euo pipefail
cd "$(dirname "$0")/.."

# Move deliberately: a newer machete may find more (or fewer) unused crates.
MACHETE_VERSION=0.9.2
NODE_MAJOR_MIN=20

what=${1:-all}
case "$what" in
all | rust) ;;
*)
    echo "usage: $0 [all|rust]" >&2
    exit 2
    ;;
esac

say() { echo "install-deps: $*" >&2; }
die() {
    say "$*"
    exit 1
}

# Run as root: directly, or through sudo when it exists.
as_root() {
    if [ "$(id -u)" = 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        return 127
    fi
}

# The Debian packages whose command or files are missing.
missing_debs() {
    local missing=()
    command -v sqlite3 >/dev/null 2>&1 || missing+=(sqlite3)
    command -v python3 >/dev/null 2>&1 || missing+=(python3)
    # Debian splits venv and ensurepip out of python3.
    python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || missing+=(python3-venv)
    command -v chromium >/dev/null 2>&1 || missing+=(chromium)
    dpkg -s fonts-wqy-microhei >/dev/null 2>&1 || missing+=(fonts-wqy-microhei)
    command -v kubectl >/dev/null 2>&1 || missing+=(kubernetes-client)
    command -v curl >/dev/null 2>&1 || missing+=(curl)
    echo "${missing[@]}"
}

debian_packages() {
    local missing
    missing=$(missing_debs)
    [ -z "$missing" ] && return
    if ! command -v apt-get >/dev/null 2>&1; then
        die "missing: $missing (Debian package names); no apt-get here: install them by hand"
    fi
    if [ "$(id -u)" != 0 ] && ! command -v sudo >/dev/null 2>&1; then
        die "missing Debian packages: $missing; not root and no sudo: run 'apt-get install $missing' as root"
    fi
    say "installing $missing"
    # The package lists of a fresh machine may be missing or old.
    as_root apt-get update -q >/dev/null || say "apt-get update failed; trying the lists there are"
    # shellcheck disable=SC2086 # a list of package names
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $missing >/dev/null ||
        die "apt-get install $missing failed"
    missing=$(missing_debs)
    [ -z "$missing" ] || die "still missing after apt-get install: $missing"
}

node_and_npm_packages() {
    local major
    command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 ||
        die "missing: Node.js $NODE_MAJOR_MIN or newer with npm (for the dashboard in web/)"
    major=$(node -p 'process.versions.node.split(".")[0]')
    [ "$major" -ge "$NODE_MAJOR_MIN" ] ||
        die "Node.js $(node --version) is too old: the dashboard needs $NODE_MAJOR_MIN or newer"
    ./scripts/dashboard.sh deps
}

rust_tools() {
    command -v cargo >/dev/null 2>&1 || die "missing: cargo (the Rust toolchain, via rustup)"
    if ! cargo fmt --version >/dev/null 2>&1 || ! cargo clippy --version >/dev/null 2>&1; then
        command -v rustup >/dev/null 2>&1 || die "missing: rustfmt and clippy, and no rustup to add them"
        say "adding the rustfmt and clippy components"
        rustup component add rustfmt clippy >/dev/null
    fi
    # cargo finds subcommands in ~/.cargo/bin even when it is not on PATH.
    local bin="${CARGO_HOME:-$HOME/.cargo}/bin/cargo-machete"
    command -v cargo-machete >/dev/null 2>&1 && bin=$(command -v cargo-machete)
    if ! [ -x "$bin" ] || ! "$bin" --version 2>/dev/null | grep -qF "$MACHETE_VERSION"; then
        say "installing cargo-machete $MACHETE_VERSION (a build: minutes)"
        # Its own temporary target directory, not the project's.
        env -u CARGO_TARGET_DIR cargo install --quiet --locked cargo-machete \
            --version "$MACHETE_VERSION" ||
            die "cargo install cargo-machete failed"
    fi
}

rust_tools
if [ "$what" = all ]; then
    debian_packages
    node_and_npm_packages
    ./scripts/schemathesis-venv.sh >/dev/null
fi
