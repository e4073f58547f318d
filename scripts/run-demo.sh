#!/usr/bin/env bash
# `make run`: build Weir, start two echo upstreams, put the demo
# configuration into the store if it has none yet, and serve on the
# embedded defaults (HTTP :8080, admin 127.0.0.1:9080, sqlite://weir.db).
set -euo pipefail
cd "$(dirname "$0")/.."
: "${CARGO_TARGET_DIR:=$HOME/.cache/weir-target}"
export CARGO_TARGET_DIR

cargo build --release -p weir
bin="$CARGO_TARGET_DIR/release/weir"

pids=()
cleanup() { [ ${#pids[@]} -gt 0 ] && kill "${pids[@]}" 2>/dev/null || true; }
trap cleanup EXIT INT TERM

for n in 1 2; do
    "$bin" echo --listen "127.0.0.1:900$n" --name "echo-$n" &
    pids+=($!)
done

"$bin" apply -f examples/demo.yaml --if-empty --author make-run
cat <<'MSG'

  Weir is starting. In another terminal:
    curl http://localhost:8080/demo/hello        # proxied to an echo upstream
    curl http://127.0.0.1:9080/healthz           # admin listener alive
    http://127.0.0.1:9080/                       # the web dashboard (docs/dashboard.md)
    http://127.0.0.1:9080/api/docs               # admin API (log in as admin with the
                                                 # password printed below on first start)
    weir export / weir apply -f FILE             # see docs/configuration.md

MSG
"$bin" serve
