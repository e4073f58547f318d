#!/usr/bin/env bash
# One honest throughput comparison: wrk -c50 through Weir and through nginx
# (proxy_pass with an upstream keepalive pool) to the same nginx upstream
# (`return 200 "ok"`), interleaved A B A B A B, in the same run.
# Each proxy gets one worker pinned to CPU 0; wrk and the upstream share CPU 1.
# Usage: bench/quick-compare.sh [seconds-per-run] [rounds]
set -euo pipefail
cd "$(dirname "$0")/.."
DUR=${1:-10}
ROUNDS=${2:-3}
: "${CARGO_TARGET_DIR:=$HOME/.cache/weir-target}"
WEIR="$CARGO_TARGET_DIR/release/weir"
for tool in wrk nginx taskset; do
    command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install wrk nginx-light util-linux)"; exit 1; }
done
[ -x "$WEIR" ] || { echo "build first: cargo build --release -p weir"; exit 1; }

work=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
UP=$(free_port); NGX=$(free_port); WH=$(free_port); WA=$(free_port)

nginx_conf() { # name, worker cpu mask, server block
    cat > "$work/$1.conf" <<CONF
worker_processes 1;
worker_cpu_affinity $2;
daemon off;
pid $work/$1.pid;
error_log $work/$1.err warn;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 1000000;
$3
}
CONF
}
nginx_conf upstream 10 "    server { listen 127.0.0.1:$UP; location / { return 200 \"ok\"; } }"
nginx_conf proxy 01 "    upstream up { server 127.0.0.1:$UP; keepalive 64; }
    server { listen 127.0.0.1:$NGX; location / { proxy_pass http://up; proxy_http_version 1.1; proxy_set_header Connection \"\"; } }"

nginx -c "$work/upstream.conf" -p "$work" & pids+=($!)
nginx -c "$work/proxy.conf" -p "$work" & pids+=($!)

cat > "$work/s.yaml" <<YAML
services:
  - name: bench
    match: { prefix: / }
    upstream:
      nodes: [{ addr: "127.0.0.1:$UP" }]
      max_idle_per_node: 128
YAML
"$WEIR" apply --store "sqlite://$work/weir.db" -f "$work/s.yaml" >/dev/null
WEIR_PROXY_WORKER_THREADS=1 WEIR_LOG_LEVEL=warn WEIR_LOG_ACCESS=off WEIR_LISTEN_HTTPS=off taskset -c 0 \
    "$WEIR" serve --store "sqlite://$work/weir.db" --http "127.0.0.1:$WH" --admin "127.0.0.1:$WA" & pids+=($!)
sleep 1
for p in $UP $NGX $WH; do curl -sf "http://127.0.0.1:$p/" >/dev/null || { echo "port $p not answering"; exit 1; }; done

run() { # port -> req/s
    taskset -c 1 wrk -t1 -c50 -d"${DUR}s" "http://127.0.0.1:$1/" | awk '/Requests\/sec/ {print $2}'
}
run "$WH" >/dev/null; run "$NGX" >/dev/null   # warm-up (short runs count too)
nginx_r=(); weir_r=()
for i in $(seq "$ROUNDS"); do
    nginx_r+=("$(run "$NGX")")
    weir_r+=("$(run "$WH")")
    echo "round $i: nginx ${nginx_r[-1]} req/s, weir ${weir_r[-1]} req/s"
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
n=$(median "${nginx_r[@]}"); w=$(median "${weir_r[@]}")
echo "median: nginx $n req/s, weir $w req/s, weir/nginx = $(awk -v w="$w" -v n="$n" 'BEGIN {printf "%.3f", w/n}')"
