#!/usr/bin/env bash
# Install what the benchmark needs, idempotently: Debian packages only when
# their command is missing, and bench/loadgen (our fixed-rate / idle-connection
# client, TCP sink and gRPC echo server) built into its own target directory,
# outside the cargo workspace.
# Usage: bench/setup.sh            (run by bench/run.sh, i.e. make bench)
set -euo pipefail
cd "$(dirname "$0")"

apt_install() { # package...
    if [ -z "${_apt_updated:-}" ]; then
        echo "bench: apt-get update"
        DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
        _apt_updated=1
    fi
    echo "bench: installing $*"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" >/dev/null
}
need_pkg() { # command package...
    local cmd=$1; shift
    command -v "$cmd" >/dev/null 2>&1 || apt_install "$@"
}
need_file() { # file package...: for what has no command (an nginx module)
    local file=$1; shift
    [ -e "$file" ] || apt_install "$@"
}
need_pkg wrk wrk                         # HTTP/1.1 load (scenarios 1, 2, 3, 4 https, 5)
need_pkg h2load nghttp2-client           # HTTP/2 load (scenario 4), unary gRPC (6)
need_pkg ab apache2-utils                # not used by default; handy for manual checks
need_pkg nginx nginx-light               # upstream and the nginx baseline
need_pkg haproxy haproxy                 # the HAProxy baseline
need_file /usr/lib/nginx/modules/ngx_stream_module.so libnginx-mod-stream   # nginx TCP baseline (6)
need_pkg openssl openssl                 # the certificate of the HTTPS scenarios (4), made per run
need_pkg valgrind valgrind               # instruction counts (callgrind)
need_pkg taskset util-linux              # CPU pinning
need_pkg python3 python3                 # bench/run.py and bench/harness/ (standard library only)

# Debian's haproxy and nginx packages may start system services; the bench
# never uses them (it runs its own instances on free ports).

: "${WEIR_BENCH_TARGET_DIR:=$HOME/.cache/weir-bench-target}"
echo "bench: building bench/loadgen (weir-loadgen, weir-grpc-echo)"
CARGO_TARGET_DIR="$WEIR_BENCH_TARGET_DIR" cargo build --release --quiet \
    --manifest-path loadgen/Cargo.toml
