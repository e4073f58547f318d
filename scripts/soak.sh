#!/usr/bin/env bash
# `make soak`: a long run at a fixed request rate with policies on (JWT auth,
# limits, IP rules, header operations) and a configuration reload every
# minute, watching the gateway's memory. Passes when RSS at the end is less
# than 5 % above RSS after warm-up and no request failed.
#
#   SOAK_MINUTES   length of the load (default 30)
#   SOAK_RATE      requests per second, fixed (default 500)
#   SOAK_CONNS     client connections (default 32)
#   SOAK_WARMUP_S  warm-up seconds (default: a fifth of the run, 30 s to 300 s)
#   SOAK_WEIR      a weir binary to soak instead of building one (e.g. the
#                  `make dist` binary you are about to ship)
#
# Load: bench/loadgen's `weir-loadgen rate` (open loop at a fixed rate,
# paced with nanosecond timers; already part of the benchmark harness).
# wrk2 is not packaged, wrk cannot hold a fixed rate, and oha would be a
# large extra build from crates.io for the same job.
#
# Writes bench/results/soak/LATEST.md (+ .json, rss.csv). Not part of
# `make test`: it takes SOAK_MINUTES. Traffic stays on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
: "${CARGO_TARGET_DIR:=$HOME/.cache/weir-target}"
: "${WEIR_BENCH_TARGET_DIR:=$HOME/.cache/weir-bench-target}"
export CARGO_TARGET_DIR
minutes=${SOAK_MINUTES:-30}
rate=${SOAK_RATE:-500}
conns=${SOAK_CONNS:-32}
duration=$((minutes * 60))
warmup=${SOAK_WARMUP_S:-$((duration / 5))}
if [ -z "${SOAK_WARMUP_S:-}" ]; then
    [ "$warmup" -lt 30 ] && warmup=30
    [ "$warmup" -gt 300 ] && warmup=300
fi
[ "$warmup" -lt "$duration" ] || { echo "soak: warm-up ($warmup s) must be shorter than the run ($duration s)" >&2; exit 2; }

if [ -n "${SOAK_WEIR:-}" ]; then
    weir=$SOAK_WEIR
    [ -x "$weir" ] || { echo "soak: SOAK_WEIR=$weir is not an executable" >&2; exit 2; }
else
    echo "soak: building weir (release)"
    cargo build --release --quiet -p weir
    weir="$CARGO_TARGET_DIR/release/weir"
fi
echo "soak: building weir-loadgen"
CARGO_TARGET_DIR="$WEIR_BENCH_TARGET_DIR" cargo build --release --quiet \
    --manifest-path bench/loadgen/Cargo.toml --bin weir-loadgen
loadgen="$WEIR_BENCH_TARGET_DIR/release/weir-loadgen"

work=$(mktemp -d /tmp/weir-soak.XXXXXX)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

# Every process binds port 0 and prints the address it got; the script reads
# it back from the process's own output (never bind-then-release).
wait_line() { # FILE PATTERN PID -> the first matching line
    local file=$1 pattern=$2 pid=$3
    for _ in $(seq 1 300); do
        if grep -m1 -e "$pattern" "$file" 2>/dev/null; then return 0; fi
        kill -0 "$pid" 2>/dev/null || { echo "soak: process $pid exited at start:" >&2; cat "$file" >&2; exit 1; }
        sleep 0.1
    done
    echo "soak: no '$pattern' in $file after 30 s" >&2; exit 1
}
"$weir" echo --listen 127.0.0.1:0 --name up1 2>"$work/up1.log" >/dev/null & pids+=($!); up1_pid=$!
"$weir" echo --listen 127.0.0.1:0 --name up2 2>"$work/up2.log" >/dev/null & pids+=($!); up2_pid=$!
port_of() { sed 's/.*:\([0-9]*\)$/\1/'; }
up1=$(wait_line "$work/up1.log" "listening on" "$up1_pid" | port_of)
up2=$(wait_line "$work/up2.log" "listening on" "$up2_pid" | port_of)

# Revision N of the configuration: every policy on; the reload changes a
# header value, the node weights and whether a second service exists.
config() { # N
    local n=$1
    cat <<YAML
tenants:
  - app_id: soak
    name: Soak client
    secret: soak-secret-0123
    qps: $((rate * 4))
services:
  - name: soak
    match: { prefix: /soak/ }
    access:
      ip_allow: { enabled: true, ips: ["127.0.0.0/8", "::1"] }
      ip_deny: { enabled: true, ips: ["10.66.0.0/16"] }
      auth: { enabled: true, allow_paths: [/soak/health] }
    limits: { service_qps: $((rate * 4)), client_ip_qps: $((rate * 4)) }
    request_headers:
      - { op: set, name: X-Soak-Revision, value: "$n" }
      - { op: remove, name: X-Debug }
    upstream:
      nodes:
        - { addr: "127.0.0.1:$up1", weight: $((1 + n % 3)) }
        - { addr: "127.0.0.1:$up2", weight: $((1 + (n + 1) % 3)) }
YAML
    if [ $((n % 2)) -eq 1 ]; then
        cat <<YAML
  - name: extra
    match: { prefix: /extra/ }
    upstream: { nodes: [{ addr: "127.0.0.1:$up1" }] }
YAML
    fi
}

store="sqlite://$work/weir.db"
config 0 >"$work/rev.yaml"
"$weir" apply --store "$store" -f "$work/rev.yaml" -m "soak revision 0" >/dev/null

WEIR_LOG_FORMAT=json WEIR_LOG_ACCESS=stdout WEIR_TOKEN_TTL=24h \
WEIR_ADMIN_PASSWORD=soak-admin-password WEIR_STORE_POLL_INTERVAL=250ms WEIR_LISTEN_HTTPS=off \
    "$weir" serve --store "$store" --http 127.0.0.1:0 --admin 127.0.0.1:0 \
    >/dev/null 2>"$work/weir.log" &
gw=$!
pids+=("$gw")
serving=$(wait_line "$work/weir.log" '"weir is serving"' "$gw")
http_port=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["http_addr"].rsplit(":",1)[1])' "$serving")
curl -fsS -o /dev/null "http://127.0.0.1:$http_port/soak/health" ||
    { echo "soak: the gateway does not answer /soak/health" >&2; exit 1; }
token=$(curl -fsS -X POST -u soak:soak-secret-0123 "http://127.0.0.1:$http_port/oauth/tokens" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
# The policies answer as configured before the run starts.
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
[ "$(code "http://127.0.0.1:$http_port/soak/x")" = 401 ] || { echo "soak: auth is not on" >&2; exit 1; }
[ "$(code -H "Authorization: Bearer $token" "http://127.0.0.1:$http_port/soak/x")" = 200 ] ||
    { echo "soak: an authorised request is not answered 200" >&2; exit 1; }

rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$gw/status"; }
echo "soak: $minutes min at $rate req/s over $conns connections, warm-up ${warmup}s, reload every 60 s (pid $gw)"
"$loadgen" rate --addr "127.0.0.1:$http_port" --rate "$rate" --conns "$conns" \
    --duration "$duration" --warmup 0 --path /soak/x \
    --header "Authorization: Bearer $token" --header "X-Debug: 1" >"$work/load.json" &
load=$!
pids+=("$load")

echo "t_s,rss_kib" >"$work/rss.csv"
start=$(date +%s)
reloads=0
rss_warm=""
next_sample=0
next_reload=60
while kill -0 "$load" 2>/dev/null; do
    t=$(( $(date +%s) - start ))
    kill -0 "$gw" 2>/dev/null || { echo "soak: weir died" >&2; tail -20 "$work/weir.log" >&2; exit 1; }
    if [ "$t" -ge "$next_sample" ]; then
        r=$(rss_kib)
        echo "$t,$r" >>"$work/rss.csv"
        if [ -z "$rss_warm" ] && [ "$t" -ge "$warmup" ]; then
            rss_warm=$r
            echo "soak: ${t}s RSS after warm-up $r KiB"
        fi
        next_sample=$((next_sample + 10))
    fi
    if [ "$t" -ge "$next_reload" ]; then
        reloads=$((reloads + 1))
        config "$reloads" >"$work/rev.yaml"
        "$weir" apply --store "$store" -f "$work/rev.yaml" -m "soak revision $reloads" >/dev/null
        echo "soak: ${t}s reload $reloads, RSS $(rss_kib) KiB"
        next_reload=$((next_reload + 60))
    fi
    sleep 1
done
wait "$load" || { echo "soak: the load generator failed" >&2; exit 1; }
t=$(( $(date +%s) - start ))
rss_end=$(rss_kib)
echo "$t,$rss_end" >>"$work/rss.csv"
[ -n "$rss_warm" ] || rss_warm=$rss_end

# Give the last reload time to land, then count installs and refusals.
sleep 1
installed=$(grep -c '"configuration installed"' "$work/weir.log" || true)
refused=$(grep -c 'configuration revision refused' "$work/weir.log" || true)
kill -TERM "$gw"
gw_status=0
wait "$gw" || gw_status=$?

out=bench/results/soak
mkdir -p "$out"
cp "$work/rss.csv" "$out/rss.csv"
python3 - "$work/load.json" "$out" "$minutes" "$rate" "$warmup" "$rss_warm" "$rss_end" \
    "$reloads" "$installed" "$refused" "$gw_status" "$("$weir" version | head -1)" <<'PY'
import json, os, sys, datetime, platform
load_file, out, minutes, rate, warmup, warm, end, reloads, installed, refused, status, version = sys.argv[1:]
# The CPUs this run could use (taskset shows up here), for comparing runs.
cpus = sorted(os.sched_getaffinity(0))
# The trend after warm-up (least squares over the samples, KiB per hour)
# and the highest sample: a leak climbs steadily, while a pool or buffer
# reaching a new high-water mark is one step and then flat. Reported to
# tell the two apart; the pass criterion stays the end-to-warm-up growth.
samples = [tuple(map(int, l.split(",")[:2])) for l in open(f"{out}/rss.csv").read().split()[1:]]
after = [(t, r) for t, r in samples if t >= int(warmup)]
trend = 0.0
if len(after) >= 2:
    mt = sum(t for t, _ in after) / len(after)
    mr = sum(r for _, r in after) / len(after)
    var = sum((t - mt) ** 2 for t, _ in after)
    if var:
        trend = sum((t - mt) * (r - mr) for t, r in after) / var * 3600
peak = max((r for _, r in after), default=0)
load = json.loads(open(load_file).read().strip().splitlines()[-1])
warm, end = int(warm), int(end)
growth = (end - warm) * 100.0 / warm
errors = load["errors"] + load["non2xx"]
checks = {
    "rss_growth_under_5_percent": growth < 5.0,
    "zero_errors": errors == 0,
    "every_reload_installed": int(refused) == 0 and int(installed) >= int(reloads) + 1,
    "clean_exit": int(status) == 0,
}
report = {
    "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    "host": platform.node(), "weir": version, "cpus": cpus,
    "minutes": int(minutes), "target_rate": float(rate), "warmup_s": int(warmup),
    "rss_after_warmup_kib": warm, "rss_end_kib": end, "rss_growth_percent": round(growth, 2),
    "rss_peak_after_warmup_kib": peak, "rss_trend_kib_per_hour": round(trend, 1),
    "sent": load["sent"], "completed": load["completed"], "errors": load["errors"],
    "non2xx": load["non2xx"], "rps": load["rps"], "latency_us": load["latency_us"],
    "reloads": int(reloads), "installs_logged": int(installed), "refused_revisions": int(refused),
    "exit_status": int(status), "checks": checks, "pass": all(checks.values()),
}
json.dump(report, open(f"{out}/LATEST.json", "w"), indent=2)
lat = load["latency_us"]
with open(f"{out}/LATEST.md", "w") as f:
    f.write(f"""# Soak run ({report['date']})

`make soak` (scripts/soak.sh): {minutes} min at {rate} req/s fixed rate through
JWT auth, IP allow/deny lists, service/client/tenant limits and header
operations; a configuration reload every 60 s; RSS sampled every 10 s
(`rss.csv`). Binary: `{version}`; CPUs the run could use: {cpus}.

| measure | value | limit |
| --- | --- | --- |
| RSS after warm-up ({warmup} s) | {warm} KiB | |
| RSS at the end | {end} KiB | |
| RSS growth | {growth:.2f} % | < 5 % |
| highest RSS after warm-up | {peak} KiB | |
| RSS trend after warm-up (least squares) | {trend:+.0f} KiB/hour | |
| requests sent / completed | {load['sent']} / {load['completed']} | |
| errors + non-2xx | {load['errors']} + {load['non2xx']} | 0 |
| achieved rate | {load['rps']} req/s | |
| latency (µs) | {json.dumps(lat)} | |
| reloads / installs logged / refused | {reloads} / {installed} / {refused} | all installed |
| exit on SIGTERM | {status} | 0 |

Result: **{'PASS' if report['pass'] else 'FAIL'}** {json.dumps(checks)}
""")
print(open(f"{out}/LATEST.md").read())
sys.exit(0 if report["pass"] else 1)
PY
