#!/usr/bin/env bash
# The web dashboard (web/): install its npm dependencies when package-lock.json
# changed, build web/dist when it is missing or older than its sources, run
# its tests. `cargo build` embeds web/dist into the weir binary
# (crates/weir-admin/build.rs), so build the dashboard first.
#
#   scripts/dashboard.sh deps     # npm ci, only when the lock file changed
#   scripts/dashboard.sh build    # deps, then build if missing or stale
#   scripts/dashboard.sh unit     # deps, then type check and vitest
#   scripts/dashboard.sh e2e      # bundle budget, then the browser tests
#                                 # (needs a weir binary with the dashboard)
set -euo pipefail
cd "$(dirname "$0")/../web"

deps() {
    # npm ci is slow and wipes node_modules: skip it when the installed tree
    # was made from this very lock file.
    local stamp=node_modules/.weir-lock.sha256
    local want
    want=$(sha256sum package-lock.json | cut -d' ' -f1)
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
        return
    fi
    echo "dashboard: npm ci"
    npm ci --no-audit --no-fund --loglevel=error
    echo "$want" >"$stamp"
}

stale() {
    [ -f dist/index.html ] || return 0
    [ -n "$(find src public index.html package-lock.json vite.config.ts tsconfig.json \
        -newer dist/index.html -print -quit 2>/dev/null)" ]
}

build() {
    deps
    if stale; then
        echo "dashboard: building web/dist"
        npm run --silent build -- --logLevel warn
    fi
}

case "${1:-build}" in
deps) deps ;;
build) build ;;
unit)
    deps
    npx --no-install vue-tsc --noEmit
    npx --no-install vitest run
    ;;
e2e)
    node scripts/size.mjs
    node e2e/run.mjs
    ;;
*)
    echo "usage: $0 deps|build|unit|e2e" >&2
    exit 2
    ;;
esac
