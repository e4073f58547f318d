#!/usr/bin/env python3
"""Weir benchmark harness (issue 7): Weir against nginx, HAProxy and the
upstream hit directly, in the same run, interleaved, reported as ratios.

Run it through `make bench` / `make bench-smoke` (bench/run.sh installs the
tools and builds Weir and bench/loadgen first). docs/performance.md explains
what each scenario and metric means and how to read the report.

Design notes (why it is built this way):
* Every server listens on 127.0.0.1 on a port the kernel just handed out;
  nothing is hard-coded. Every process is started in its own session with
  PR_SET_PDEATHSIG, and stopped in a `finally` (also on SIGINT/SIGTERM/SIGHUP),
  so a failed or interrupted run leaves nothing behind.
* Proxies run with one worker pinned to CPU 0; the load client and the
  upstream share CPU 1 (as bench/quick-compare.sh), so the proxy is the
  bottleneck and never competes with the client for a core.
* Runs are interleaved (direct, nginx, haproxy, weir, direct, ...) so slow
  drifts of the machine hit every target alike; each cell is the median of
  the repetitions with min-max.
* The machine is shared. For every run the harness measures the CPU time
  spent by processes that are not its own (from /proc/stat minus the CPU time
  of the harness and all its descendants) as a share of all CPUs' time, and
  discards runs above --max-foreign (2 %), retrying a bounded number of times;
  a cell with no clean run is reported as noisy, never silently.
* Instruction counts (callgrind) do not depend on the machine's load; they
  are the number to decide on, req/s only as a same-run ratio.
"""

from __future__ import annotations

import argparse
import ctypes
import datetime as dt
import glob
import hashlib
import http.client
import json
import math
import os
import platform
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
CLK_TCK = os.sysconf("SC_CLK_TCK")
NCPU = os.cpu_count() or 1

PROXY_CPU = "0"  # the proxy under test
CLIENT_CPU = "1"  # load client and upstream
POOL = 512  # idle upstream connections kept: nginx `keepalive`, Weir `max_idle_per_node`
TARGET_ORDER = ["direct", "nginx", "haproxy", "weir-plain", "weir", "weir-redis", "weir-routed"]
TARGET_TITLES = {
    "direct": "upstream direct",
    "nginx": "nginx proxy_pass",
    "haproxy": "HAProxy",
    "weir-plain": "Weir plain (s1 configuration)",
    "weir": "Weir",
    "weir-routed": "Weir, routed by prefix on the main port",
    "weir-redis": "Weir, limits shared in Redis",
}
# Per-scenario names where the generic ones would mislead.
SCENARIO_TITLES = {
    "s2-policies": {"nginx": "nginx proxy_pass (plain, reference)", "weir": "Weir, every policy on",
                    "weir-redis": "Weir, every policy on, limits and quota shared in Redis ([cluster] redis)"},
    "s6-tcp": {"direct": "sink direct", "nginx": "nginx stream proxy_pass", "haproxy": "HAProxy mode tcp",
               "weir": "Weir kind: tcp"},
    "s6-grpc": {"direct": "gRPC server direct", "nginx": "nginx grpc_pass", "haproxy": "HAProxy (h2 both sides)",
                "weir": "Weir kind: grpc, own port", "weir-routed": "Weir kind: grpc, routed by prefix on the main port"},
    "s1-accesslog": {"nginx": "nginx proxy_pass, access_log to a file", "weir": "Weir, WEIR_LOG_ACCESS=file"},
}


def target_title(scenario: str, target: str) -> str:
    return SCENARIO_TITLES.get(scenario, {}).get(target, TARGET_TITLES[target])


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


# --------------------------------------------------------------------------
# Processes: everything started is registered and stopped in cleanup().
# --------------------------------------------------------------------------

_libc = ctypes.CDLL(None, use_errno=True)
PR_SET_PDEATHSIG = 1


def _child_setup() -> None:
    # Die with the harness even if it is killed with SIGKILL.
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen
    log_path: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def pids(self) -> list[int]:
        """The process and all its descendants (nginx master + workers)."""
        return [self.pid] + sorted(descendants(self.pid))

    def cpu_ticks(self) -> int:
        return sum(pid_times(p)[0] for p in self.pids())

    def rss_kib(self) -> int:
        total = 0
        for p in self.pids():
            try:
                for line in Path(f"/proc/{p}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
            except OSError:
                pass
        return total


PROCS: list[Proc] = []


def start(name: str, argv: list[str], work: Path, cpu: str | None = None,
          env: dict | None = None, stdin=subprocess.DEVNULL) -> Proc:
    if cpu is not None:
        argv = ["taskset", "-c", cpu] + argv
    log_path = work / f"{name}.log"
    out = open(log_path, "ab")
    p = subprocess.Popen(argv, stdin=stdin, stdout=out, stderr=subprocess.STDOUT,
                         env=env, start_new_session=True, preexec_fn=_child_setup)
    out.close()
    proc = Proc(name, p, log_path)
    PROCS.append(proc)
    return proc


def stop(proc: Proc, grace: float = 5.0) -> None:
    """SIGTERM the process group, then SIGKILL after `grace` seconds."""
    if proc.alive():
        for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                break
            try:
                proc.popen.wait(timeout=wait)
                break
            except subprocess.TimeoutExpired:
                continue
    # nginx workers are in the same process group; make sure none is left.
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    if proc in PROCS:
        PROCS.remove(proc)


def cleanup() -> None:
    for proc in reversed(list(PROCS)):
        stop(proc, grace=2.0)


def _on_signal(signum, _frame):
    raise SystemExit(128 + signum)


# --------------------------------------------------------------------------
# /proc accounting
# --------------------------------------------------------------------------

def _stat_fields(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # comm may contain spaces and parentheses: split after the last ')'.
    return raw[raw.rindex(")") + 2:].split()


def pid_times(pid: int) -> tuple[int, int]:
    """(utime+stime, cutime+cstime) in clock ticks; (0, 0) if gone."""
    f = _stat_fields(pid)
    if f is None:
        return 0, 0
    # fields after comm: state(0) ppid(1) ... utime(11) stime(12) cutime(13) cstime(14)
    return int(f[11]) + int(f[12]), int(f[13]) + int(f[14])


def process_table() -> dict[int, int]:
    """pid -> ppid for every process."""
    table = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            f = _stat_fields(int(d))
            if f is not None:
                table[int(d)] = int(f[1])
    return table


def descendants(root: int, table: dict[int, int] | None = None) -> set[int]:
    table = table if table is not None else process_table()
    children: dict[int, list[int]] = {}
    for pid, ppid in table.items():
        children.setdefault(ppid, []).append(pid)
    out, todo = set(), [root]
    while todo:
        for c in children.get(todo.pop(), []):
            if c not in out:
                out.add(c)
                todo.append(c)
    return out


def machine_ticks() -> tuple[int, int, int]:
    """(busy, total, steal) ticks over all CPUs, from the first line of /proc/stat."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    user, nice, system, idle, iowait, irq, softirq, steal = (v + [0] * 8)[:8]
    busy = user + nice + system + irq + softirq + steal
    return busy, busy + idle + iowait, steal


@dataclass
class ProcTimes:
    ppid: int
    self_ticks: int  # utime + stime
    child_ticks: int  # cutime + cstime: children it has reaped
    comm: str


def proc_snapshot() -> dict[int, ProcTimes]:
    snap = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            raw = Path(f"/proc/{d}/stat").read_text()
        except OSError:
            continue
        comm = raw[raw.index("(") + 1:raw.rindex(")")]
        f = raw[raw.rindex(")") + 2:].split()
        snap[int(d)] = ProcTimes(int(f[1]), int(f[11]) + int(f[12]), int(f[13]) + int(f[14]), comm)
    return snap


@dataclass
class Window:
    """CPU accounting over one measured run.

    Foreign load is measured per process, not from /proc/stat's busy ticks:
    those are sampled by the timer tick and miss much of the time of
    processes that run in short bursts (a fixed-rate client waking 50,000
    times a second), which made the difference "machine busy minus ours" come
    out up to 7 % negative. Per-process utime+stime are exact (scaled from
    the scheduler's runtime), so: foreign = the CPU time that every process
    outside the harness's tree used during the window (children they reaped
    included, through cutime), plus the hypervisor's steal time."""
    procs: dict[int, ProcTimes]
    steal: int
    busy: int  # /proc/stat, kept for reference
    t: float

    @staticmethod
    def now() -> "Window":
        procs = proc_snapshot()
        busy, _total, steal = machine_ticks()
        return Window(procs, steal, busy, time.monotonic())

    def foreign(self, end: "Window") -> tuple[float, float, list[tuple[str, int]], int]:
        """(foreign %, steal % of all CPUs' time, top foreign processes, own ticks)."""
        me = os.getpid()
        table = {pid: p.ppid for pid, p in end.procs.items()}
        own = {me} | descendants(me, table)
        per: dict[str, int] = {}
        foreign = own_ticks = 0
        for pid, e in end.procs.items():
            b = self.procs.get(pid)
            if b is not None and b.comm != e.comm and b.ppid != e.ppid:
                b = None  # pid reused
            d = e.self_ticks + e.child_ticks - ((b.self_ticks + b.child_ticks) if b else 0)
            if pid in own:
                own_ticks += d
            elif d > 0:
                foreign += d
                per[e.comm] = per.get(e.comm, 0) + d
        for pid, b in self.procs.items():
            # A foreign process that exited during the window: the cutime of
            # its nearest surviving ancestor now holds its whole life (through
            # every exited process in between, e.g. rustc under a `sh -c`);
            # take back what it had used before the window.
            if pid in end.procs or pid in own:
                continue
            anc, hops = b.ppid, 0
            while anc not in end.procs and anc in self.procs and hops < 64:
                anc, hops = self.procs[anc].ppid, hops + 1
            if anc in end.procs and anc not in own:
                foreign -= b.self_ticks + b.child_ticks
                parent = end.procs[anc].comm
                if parent in per:
                    per[parent] -= b.self_ticks + b.child_ticks
        wall = max(1.0, (end.t - self.t) * NCPU * CLK_TCK)
        steal = end.steal - self.steal
        top = sorted(((c, t) for c, t in per.items() if t > 0), key=lambda kv: -kv[1])[:3]
        return 100.0 * (max(0, foreign) + steal) / wall, 100.0 * steal / wall, top, own_ticks


def foreign_load_now(seconds: float) -> float:
    w0 = Window.now()
    time.sleep(seconds)
    return w0.foreign(Window.now())[0]


# --------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(port: int, path: str = "/", host: str | None = None, timeout: float = 2.0) -> int:
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.request("GET", path, headers={"Host": host} if host else {})
        r = c.getresponse()
        r.read()
        return r.status
    finally:
        c.close()


def wait_ready(proc: Proc, port: int, path: str = "/", host: str | None = None,
               timeout: float = 15.0, want: int = 200) -> None:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if not proc.alive():
            raise RuntimeError(f"{proc.name} exited at start; see {proc.log_path}:\n"
                               + tail(proc.log_path))
        try:
            status = http_get(port, path, host)
            if status == want:
                return
            last = f"status {status}"
        except OSError as e:
            last = str(e)
        time.sleep(0.1)
    raise RuntimeError(f"{proc.name} not ready on port {port} after {timeout}s ({last}); "
                       f"see {proc.log_path}:\n" + tail(proc.log_path))


def tail(path: Path, n: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-n:])
    except OSError:
        return ""


def fill(template: str, **values) -> str:
    text = (HERE / "conf" / template).read_text()
    for k, v in values.items():
        text = text.replace(f"@@{k.upper()}@@", str(v))
    left = re.findall(r"@@[A-Z_]+@@", text)
    if left:
        raise RuntimeError(f"{template}: unfilled placeholders {left}")
    return text


def indent(text: str, n: int) -> str:
    return "".join(" " * n + line + "\n" for line in text.strip("\n").splitlines())


# --------------------------------------------------------------------------
# s2: every policy on
# --------------------------------------------------------------------------

BENCH_APP, BENCH_SECRET = "bench_app", "bench-secret-0123456789"
HIGH_QPS = 10_000_000  # far above what one core can serve: no request is ever limited
HIGH_QPD = 1_000_000_000_000  # a daily quota that is counted but never reached
S2_PATH = "/v1/bench"  # rewritten to /bench by the policy service
S2_CHECK = "/v1/check/x"  # the upstream echoes what it received for /check/


def allow_list(n: int = 1000) -> list[str]:
    """n CIDRs, scattered (so they do not merge into a few ranges), /16 to
    /32, deterministic; 127.0.0.0/8 (the client) is one of them, in the middle."""
    import random
    rnd = random.Random(7)
    out, seen = [], set()
    while len(out) < n - 1:
        first = rnd.choice([a for a in range(1, 224) if a not in (10, 127)])
        bits = rnd.choice([16, 20, 24, 24, 24, 28, 32, 32])
        addr = (first << 24) | rnd.getrandbits(24)
        addr &= (0xFFFFFFFF << (32 - bits)) & 0xFFFFFFFF
        cidr = f"{addr >> 24}.{(addr >> 16) & 255}.{(addr >> 8) & 255}.{addr & 255}/{bits}"
        if cidr not in seen:
            seen.add(cidr)
            out.append(cidr)
    out.insert(n // 2, "127.0.0.0/8")
    return out


POLICIES_YAML = (
    "    rewrite:\n"
    '      - { pattern: "^/v1/(.*)", replacement: "/$1" }\n'
    "    request_headers:\n"
    "      - { op: set, name: X-Gateway, value: weir }\n"
    "      - { op: remove, name: X-Debug }\n"
    "    access:\n"
    "      ip_allow:\n        enabled: true\n        ips:\n"
    + "".join(f'          - "{c}"\n' for c in allow_list())
    + "      auth: { enabled: true }\n"
    f"    limits: {{ service_qps: {HIGH_QPS}, client_ip_qps: {HIGH_QPS} }}\n")


def weir_token(port: int) -> str:
    """A bearer token from Weir's own token endpoint (Basic auth, as the docs show)."""
    import base64
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        basic = base64.b64encode(f"{BENCH_APP}:{BENCH_SECRET}".encode()).decode()
        c.request("POST", "/oauth/tokens", headers={"Authorization": f"Basic {basic}"})
        r = c.getresponse()
        body = r.read()
        if r.status != 200:
            raise RuntimeError(f"POST /oauth/tokens: {r.status} {body[:300]!r}")
        return json.loads(body)["access_token"]
    finally:
        c.close()


def http_request(port: int, path: str, headers: dict, timeout: float = 10.0) -> tuple[int, bytes]:
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.request("GET", path, headers=headers)
        r = c.getresponse()
        return r.status, r.read()
    finally:
        c.close()


# --------------------------------------------------------------------------
# s4: TLS
# --------------------------------------------------------------------------

@dataclass
class TlsCert:
    cert: Path
    key: Path
    combined: Path  # cert + key, for HAProxy


def make_cert(work: Path) -> TlsCert:
    """A self-signed ECDSA P-256 certificate for bench.test, made now (valid
    for 7 days from an hour ago, so clock skew cannot make it not yet valid)."""
    cert, key = work / "tls-cert.pem", work / "tls-key.pem"
    r = subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                        "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "7", "-subj", "/CN=bench.test",
                        "-addext", "subjectAltName=DNS:bench.test,IP:127.0.0.1"],
                       capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise RuntimeError(f"openssl req failed: {r.stderr}")
    key.chmod(0o644)  # nginx workers run as nobody
    combined = work / "tls-combined.pem"
    combined.write_text(cert.read_text() + key.read_text())
    return TlsCert(cert, key, combined)


def tls_probe(port: int, alpn: list[str], timeout: float = 5.0) -> dict:
    """Handshake with the system's OpenSSL (the library wrk uses): the
    negotiated protocol, cipher and ALPN, then one GET / over HTTP/1.1."""
    import ssl
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_alpn_protocols(alpn)
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as raw:
        with ctx.wrap_socket(raw, server_hostname="bench.test") as t:
            info = {"version": t.version(), "cipher": t.cipher()[0], "alpn": t.selected_alpn_protocol()}
            if info["alpn"] in (None, "http/1.1"):
                t.sendall(b"GET / HTTP/1.1\r\nHost: bench.test\r\nConnection: close\r\n\r\n")
                head = b""
                while b"\r\n" not in head:
                    chunk = t.recv(4096)
                    if not chunk:
                        break
                    head += chunk
                info["status"] = int(head.split()[1]) if head.startswith(b"HTTP/") else None
            return info


def wait_tls_ready(proc: Proc, port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if not proc.alive():
            raise RuntimeError(f"{proc.name} exited; see {proc.log_path}:\n" + tail(proc.log_path))
        try:
            info = tls_probe(port, ["http/1.1"])
            if info.get("status") == 200:
                return
            last = str(info)
        except OSError as e:
            last = str(e)
        time.sleep(0.2)
    raise RuntimeError(f"{proc.name}: HTTPS on port {port} not ready after {timeout}s ({last}):\n"
                       + tail(proc.log_path))


# --------------------------------------------------------------------------
# s6: TCP and gRPC
# --------------------------------------------------------------------------

GRPC_PATH = "/bench.Echo/Unary"
GRPC_PAYLOAD = 64  # bytes in the echoed message


def grpc_body(path: Path, payload: int = GRPC_PAYLOAD) -> Path:
    """One length-prefixed gRPC message (uncompressed) holding
    `Msg { bytes payload = 1 }` with `payload` bytes, for h2load -d."""
    data = bytes(ord("a") + i % 26 for i in range(payload))
    msg = b"\x0a" + varint(len(data)) + data
    path.write_bytes(b"\x00" + len(msg).to_bytes(4, "big") + msg)
    return path


def varint(n: int) -> bytes:
    out = b""
    while True:
        b, n = n & 0x7F, n >> 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def wait_until(proc: Proc, what: str, fn, timeout: float) -> None:
    """Retry `fn` (raises until ready) for `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if not proc.alive():
            raise RuntimeError(f"{proc.name} exited; see {proc.log_path}:\n" + tail(proc.log_path))
        try:
            fn()
            return
        except Exception as e:
            last = f"{type(e).__name__}: {e}"
        time.sleep(0.2)
    raise RuntimeError(f"{proc.name}: {what} not ready after {timeout}s ({last}):\n" + tail(proc.log_path))


def wait_tcp_ready(b: "Bench", proc: Proc, port: int, timeout: float) -> None:
    """Ready when 1 MiB streamed through `port` is confirmed by the sink."""
    def probe():
        j = b.loadgen_run("tcp-send", port, ["--streams", "1", "--mib", "1", "--duration", "0"], 30)
        if j["errors"] or j["bytes"] != 1048576:
            raise RuntimeError(str(j))
    wait_until(proc, f"TCP port {port}", probe, timeout)


def wait_grpc_ready(b: "Bench", proc: Proc, port: int, timeout: float) -> None:
    """Ready when unary calls through `port` come back OK with their payload."""
    wait_until(proc, f"gRPC on port {port}",
               lambda: b.grpc_tool("check", port, ["--calls", "5", "--payload", str(GRPC_PAYLOAD)]), timeout)


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def nofile_limit() -> int:
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


# --------------------------------------------------------------------------
# Servers
# --------------------------------------------------------------------------

@dataclass
class Server:
    """A running server: its processes and the ports it listens on."""
    name: str
    proc: Proc
    port: int  # HTTP/1.1 (or the TCP / gRPC port of s6)
    h2c_port: int  # cleartext HTTP/2 (prior knowledge)
    tls_port: int | None = None  # HTTPS: TLS 1.3, ALPN h2 and http/1.1
    token: str | None = None  # a bearer token from Weir's POST /oauth/tokens (s2)
    log_file: Path | None = None  # the access log (s1-accesslog)
    sock: Path | None = None  # a unix socket (the run's own redis-server, s2)


@dataclass
class Routes:
    """A route table of n services: even ones by path prefix, odd ones by host."""
    n: int

    def lines(self) -> list[tuple[str, str]]:
        """(host, path) pairs that hit every route once, hosts and prefixes alternating."""
        return [("bench.test", f"/r{i}/x") if i % 2 == 0 else (f"r{i}.bench.test", "/x")
                for i in range(self.n)]

    def write_targets(self, path: Path) -> Path:
        path.write_text("".join(f"{h} {p}\n" for h, p in self.lines()))
        return path


class Bench:
    def __init__(self, args):
        self.a = args
        self.work = Path(tempfile.mkdtemp(prefix="weir-bench-"))
        self.work.chmod(0o755)  # nginx workers run as nobody and serve 16k.bin from here
        self.results: list[dict] = []  # every attempt of every run
        self.callgrind: list[dict] = []
        self.memory: list[dict] = []
        self.retries_left = args.max_total_retries
        self.weir = self.work / "weir"
        self.loadgen = Path(args.loadgen)
        self.grpc_echo = self.loadgen.parent / "weir-grpc-echo"
        self.scenario_notes: dict[str, str] = {}
        self.started = dt.datetime.now(dt.timezone.utc)
        self.tls: TlsCert | None = None  # made at start when an HTTPS scenario runs
        self.stream_module = next((m for m in ("/usr/lib/nginx/modules/ngx_stream_module.so",)
                                   if os.path.exists(m)), None)
        self.upstream: Server | None = None
        self.setups: dict[str, dict[str, Server]] = {}

    # ---- Weir ---------------------------------------------------------------

    def prepare_weir(self) -> None:
        # A private copy: a rebuild during the run must not change the binary.
        shutil.copy2(self.a.weir, self.weir)
        r = subprocess.run([str(self.weir), "proxy", "--help"], capture_output=True)
        self.weir_role = ["proxy"] if r.returncode == 0 else ["serve"]
        self.weir_sha = hashlib.sha256(self.weir.read_bytes()).hexdigest()[:12]

    def weir_yaml(self, upstream: Server, routes: Routes | None, policies: bool = False,
                  tcp: tuple[int, int] | None = None, grpc: tuple[int, int] | None = None,
                  tls: "TlsCert | None" = None) -> str:
        node = f'      nodes: [{{ addr: "127.0.0.1:{upstream.port}" }}]\n' \
               f"      max_idle_per_node: {POOL}\n" \
               f"      timeouts: {{ idle: 300s }}\n"
        out = []
        if routes is None:
            out.append("services:\n  - name: bench\n    match: { prefix: / }\n")
            if policies:
                out.append(POLICIES_YAML)
            out.append("    upstream:\n" + node)
        else:
            out.append("services:\n")
            for i in range(routes.n):
                match = f"{{ prefix: /r{i}/ }}" if i % 2 == 0 else f"{{ host: r{i}.bench.test }}"
                out.append(f"  - name: r{i}\n    match: {match}\n    upstream:\n" + node)
        if tcp:  # (own port, sink port)
            out.append(f"  - name: tcp_sink\n    kind: tcp\n    port: {tcp[0]}\n    upstream:\n"
                       f'      nodes: [{{ addr: "127.0.0.1:{tcp[1]}" }}]\n'
                       f"      timeouts: {{ stream_idle: 300s }}\n")
        if grpc:  # (own port, gRPC server port): the same server reached both ways
            up = f'    upstream:\n      nodes: [{{ addr: "127.0.0.1:{grpc[1]}" }}]\n'
            out.append(f"  - name: grpc_own_port\n    kind: grpc\n    port: {grpc[0]}\n" + up)
            out.append("  - name: grpc_routed\n    kind: grpc\n    match: { prefix: /bench.Echo/ }\n" + up)
        if policies:
            out.append(f"tenants:\n  - app_id: {BENCH_APP}\n    name: bench\n    secret: \"{BENCH_SECRET}\"\n"
                       f"    enabled: true\n    ip_allow: [\"127.0.0.0/8\"]\n    qps: {HIGH_QPS}\n    qpd: {HIGH_QPD}\n")
        if tls:
            out.append("certificates:\n  - name: bench\n    default: true\n"
                       f"    cert: |\n{indent(tls.cert.read_text(), 6)}"
                       f"    key: |\n{indent(tls.key.read_text(), 6)}")
        return "".join(out)

    def start_weir(self, name: str, upstream: Server, routes: Routes | None,
                   valgrind_out: Path | None = None, policies: bool = False,
                   tcp_sink: Server | None = None, grpc_server: Server | None = None,
                   tls: "TlsCert | None" = None, access_log: Path | None = None,
                   redis: str | None = None) -> Server:
        """Weir with a plain prefix-/ service (or a route table); optionally every
        policy on (s2), a certificate and the HTTPS listener (s4), a kind: tcp
        service to `tcp_sink` (s6-tcp; Server.port is then the TCP port), gRPC
        services to `grpc_server` (s6-grpc; Server.port is the own gRPC port,
        h2c_port the main port where the gRPC service is routed by prefix),
        or an access log file (s1-accesslog); limits shared in `redis` (s2, the
        `[cluster] redis` URL)."""
        db = self.work / f"{name}.db"
        yaml = self.work / f"{name}.yaml"
        tcp = (free_port(), tcp_sink.port) if tcp_sink else None
        grpc = (free_port(), grpc_server.port) if grpc_server else None
        yaml.write_text(self.weir_yaml(upstream, routes, policies, tcp, grpc, tls))
        if db.exists():  # ports are chosen afresh: always start from the file
            for f in glob.glob(f"{db}*"):
                os.unlink(f)
        r = subprocess.run([str(self.weir), "apply", "--store", f"sqlite://{db}", "-f", str(yaml),
                            "-m", "bench"], capture_output=True, text=True, timeout=300)
        if r.returncode != 0:
            raise RuntimeError(f"weir apply failed:\n{r.stdout}\n{r.stderr}")
        port = free_port()
        tls_port = free_port() if tls else None
        env = {k: v for k, v in os.environ.items() if not k.startswith("WEIR_") and k != "RUST_LOG"}
        # Like nginx and HAProxy here: no access log (unless s1-accesslog asks
        # for one). No HTTPS listener unless the scenario needs it (its default
        # is a fixed port on every interface); own ports of TCP and gRPC
        # services on loopback. Weir ignores WEIR_* variables it does not know,
        # so older binaries run unchanged.
        env.update(WEIR_PROXY_WORKER_THREADS="1", WEIR_LOG_LEVEL="warn",
                   WEIR_LOG_ACCESS=str(access_log) if access_log else "off",
                   WEIR_LISTEN_HTTPS=f"127.0.0.1:{tls_port}" if tls else "off",
                   WEIR_LISTEN_SERVICE_ADDRESS="127.0.0.1", WEIR_PROXY_SHUTDOWN_GRACE="1s",
                   WEIR_PROXY_LISTENER_DRAIN_GRACE="1s")
        if redis:
            env.update(WEIR_CLUSTER_REDIS=redis, WEIR_CLUSTER_KEY_PREFIX=f"weir-bench-{os.getpid()}-{name}")
        argv = [str(self.weir)] + self.weir_role + ["--store", f"sqlite://{db}", "--http", f"127.0.0.1:{port}"]
        if self.weir_role == ["serve"]:  # binaries before the proxy/admin split
            argv += ["--admin", f"127.0.0.1:{free_port()}"]
        timeout = 15.0
        if valgrind_out is not None:
            # No store polling while instructions are counted: it is not per-request work.
            env["WEIR_STORE_POLL_INTERVAL"] = "1h"
            argv = valgrind_argv(valgrind_out) + argv
            timeout = 300.0
        proc = start(name, argv, self.work, cpu=PROXY_CPU, env=env)
        host, path = ("bench.test", "/r0/x") if routes else (None, "/")
        # With auth on, a request without a token is refused: that is ready.
        wait_ready(proc, port, path, host, timeout=timeout, want=401 if policies else 200)
        srv = Server(name, proc, port, port, tls_port=tls_port, log_file=access_log)
        if policies:
            srv.token = weir_token(port)
        if tls:
            wait_tls_ready(proc, tls_port, timeout)
        if tcp:
            wait_tcp_ready(self, proc, tcp[0], timeout)
            srv.port = srv.h2c_port = tcp[0]
        if grpc:
            wait_grpc_ready(self, proc, grpc[0], timeout)
            wait_grpc_ready(self, proc, port, timeout)
            srv.port = grpc[0]
        return srv

    # ---- nginx / HAProxy ---------------------------------------------------------

    def start_upstream(self) -> Server:
        (self.work / "16k.bin").write_bytes(b"x" * 16384)
        (self.work / "16k.bin").chmod(0o644)
        port, h2c = free_port(), free_port()
        tls_port = free_port() if self.tls else None
        # The direct HTTPS baseline: the upstream itself on TLS 1.3 (s4-https).
        tls = "" if not self.tls else (
            f"listen 127.0.0.1:{tls_port} ssl http2;\n        "
            f"ssl_certificate {self.tls.cert};\n        ssl_certificate_key {self.tls.key};\n        "
            "ssl_protocols TLSv1.3;")
        conf = self.work / "upstream.conf"
        conf.write_text(fill("nginx-upstream.conf", work=self.work, name="upstream", port=port,
                             h2c_port=h2c, nofile=nofile_limit(),
                             worker_connections=nofile_limit() - 100, tls=tls))
        proc = start("upstream", ["nginx", "-e", str(self.work / "upstream.err"), "-c", str(conf),
                                  "-p", str(self.work)], self.work, cpu=CLIENT_CPU)
        wait_ready(proc, port)
        wait_ready(proc, port, "/16k")
        if tls_port:
            wait_tls_ready(proc, tls_port, 15.0)
        return Server("upstream", proc, port, h2c, tls_port=tls_port)

    def nginx_servers(self, port: int, h2c: int, routes: Routes | None, tls_port: int | None = None) -> str:
        listen = f"listen 127.0.0.1:{port} default_server backlog=4096;\n        " \
                 f"listen 127.0.0.1:{h2c} http2;"
        if tls_port:
            listen += f"\n        listen 127.0.0.1:{tls_port} ssl http2;\n        " \
                      f"ssl_certificate {self.tls.cert};\n        ssl_certificate_key {self.tls.key};\n        " \
                      "ssl_protocols TLSv1.3;"
        if routes is None:
            return f"    server {{\n        {listen}\n        location / {{ proxy_pass http://up; }}\n    }}\n"
        out = [f"    server {{\n        {listen}\n        location / {{ return 404; }}\n"]
        out += [f"        location /r{i}/ {{ proxy_pass http://up; }}\n" for i in range(0, routes.n, 2)]
        out.append("    }\n")
        out += [f"    server {{ listen 127.0.0.1:{port}; listen 127.0.0.1:{h2c} http2; "
                f"server_name r{i}.bench.test; location / {{ proxy_pass http://up; }} }}\n"
                for i in range(1, routes.n, 2)]
        return "".join(out)

    def start_nginx(self, name: str, upstream: Server, routes: Routes | None,
                    valgrind_out: Path | None = None, tls: bool = False,
                    access_log: Path | None = None) -> Server:
        port, h2c = free_port(), free_port()
        tls_port = free_port() if tls else None
        # s1-accesslog: one JSON line per request with the fields of Weir's
        # access log, written through a 64 KiB buffer (Weir's writer batches too).
        log = "access_log off;" if access_log is None else (
            "log_format bench escape=json '{\"ts\":\"$time_iso8601\",\"request_id\":\"$request_id\","
            "\"client_ip\":\"$remote_addr\",\"method\":\"$request_method\",\"host\":\"$host\","
            "\"path\":\"$request_uri\",\"protocol\":\"$server_protocol\",\"status\":$status,"
            "\"service\":\"bench\",\"node\":\"$upstream_addr\",\"bytes\":$body_bytes_sent,"
            "\"duration_ms\":$request_time}';\n"
            f"    access_log {access_log} bench buffer=64k flush=1s;")
        conf = self.work / f"{name}.conf"
        conf.write_text(fill("nginx-proxy.conf", work=self.work, name=name,
                             master="off" if valgrind_out else "on",
                             nofile=nofile_limit(), worker_connections=nofile_limit() - 100,
                             upstream_port=upstream.port, pool=POOL, access_log=log,
                             servers=self.nginx_servers(port, h2c, routes, tls_port)))
        argv = ["nginx", "-e", str(self.work / f"{name}.err"), "-c", str(conf), "-p", str(self.work)]
        timeout = 30.0
        if valgrind_out is not None:
            argv = valgrind_argv(valgrind_out) + argv
            timeout = 120.0
        proc = start(name, argv, self.work, cpu=PROXY_CPU)
        host, path = ("bench.test", "/r0/x") if routes else (None, "/")
        wait_ready(proc, port, path, host, timeout=timeout)
        if tls_port:
            wait_tls_ready(proc, tls_port, timeout)
        return Server(name, proc, port, h2c, tls_port=tls_port, log_file=access_log)

    def start_haproxy(self, name: str, upstream: Server, routes: Routes | None, tls: bool = False) -> Server:
        port, h2c = free_port(), free_port()
        tls_port = free_port() if tls else None
        if routes is None:
            routing = "    default_backend be"
        else:
            hosts, prefixes = self.work / f"{name}-hosts.map", self.work / f"{name}-prefixes.map"
            hosts.write_text("".join(f"r{i}.bench.test 1\n" for i in range(1, routes.n, 2)))
            prefixes.write_text("".join(f"/r{i}/ 1\n" for i in range(0, routes.n, 2)))
            routing = (f"    acl host_route req.hdr(host),field(1,:),lower,map_str({hosts}) -m found\n"
                       f"    acl path_route path,map_beg({prefixes}) -m found\n"
                       "    use_backend be if host_route || path_route\n"
                       "    default_backend nomatch")
        extra = "" if not tls_port else \
            f"    bind 127.0.0.1:{tls_port} ssl crt {self.tls.combined} alpn h2,http/1.1 ssl-min-ver TLSv1.3"
        conf = self.work / f"{name}.cfg"
        # Room for 10,000 idle clients (scenario 8) within the file limit.
        maxconn = max(1000, (nofile_limit() - 200) // 2 + 1000)
        conf.write_text(fill("haproxy.cfg", work=self.work, name=name, maxconn=maxconn, port=port,
                             h2c_port=h2c, upstream_port=upstream.port, routing=routing, extra_binds=extra))
        proc = start(name, ["haproxy", "-db", "-f", str(conf)], self.work, cpu=PROXY_CPU)
        host, path = ("bench.test", "/r0/x") if routes else (None, "/")
        wait_ready(proc, port, path, host)
        if tls_port:
            wait_tls_ready(proc, tls_port, 15.0)
        return Server(name, proc, port, h2c, tls_port=tls_port)

    def start_proxies(self, tag: str, upstream: Server, routes: Routes | None,
                      which=("nginx", "haproxy", "weir")) -> dict[str, Server]:
        starters = {"nginx": self.start_nginx, "haproxy": self.start_haproxy, "weir": self.start_weir}
        return {t: starters[t](f"{t}-{tag}", upstream, routes) for t in which}

    # ---- s6: TCP sink and gRPC server, and the proxies in front of them -------------

    def start_tcp(self) -> dict[str, Server]:
        """The sink (on the client's CPU) and nginx stream, HAProxy mode tcp and
        Weir kind: tcp in front of it; Server.port is each one's TCP port."""
        sport = free_port()
        sink_proc = start("tcp-sink", [str(self.loadgen), "tcp-sink", "--listen", f"127.0.0.1:{sport}"],
                          self.work, cpu=CLIENT_CPU)
        sink = Server("tcp-sink", sink_proc, sport, sport)
        wait_tcp_ready(self, sink_proc, sport, 15.0)
        out = {"direct": sink}
        common = dict(work=self.work, nofile=nofile_limit(), worker_connections=nofile_limit() - 100,
                      upstream_port=sport)
        if self.stream_module:
            port = free_port()
            conf = self.work / "nginx-tcp.conf"
            conf.write_text(fill("nginx-stream.conf", name="nginx-tcp", port=port,
                                 stream_module=self.stream_module, **common))
            proc = start("nginx-tcp", ["nginx", "-e", str(self.work / "nginx-tcp.err"), "-c", str(conf),
                                       "-p", str(self.work)], self.work, cpu=PROXY_CPU)
            wait_tcp_ready(self, proc, port, 15.0)
            out["nginx"] = Server("nginx-tcp", proc, port, port)
        port = free_port()
        conf = self.work / "haproxy-tcp.cfg"
        conf.write_text(fill("haproxy-tcp.cfg", work=self.work, name="haproxy-tcp", port=port, upstream_port=sport))
        proc = start("haproxy-tcp", ["haproxy", "-db", "-f", str(conf)], self.work, cpu=PROXY_CPU)
        wait_tcp_ready(self, proc, port, 15.0)
        out["haproxy"] = Server("haproxy-tcp", proc, port, port)
        out["weir"] = self.start_weir("weir-tcp", self.upstream, None, tcp_sink=sink)
        return out

    def start_grpc(self) -> dict[str, Server]:
        """The gRPC echo server (on the client's CPU), nginx grpc_pass, HAProxy
        (h2 to the server) and Weir: kind: grpc on its own port ("weir") and
        routed by prefix on the main port ("weir-routed"), one process."""
        gport = free_port()
        gproc = start("grpc-echo", [str(self.grpc_echo), "serve", "--listen", f"127.0.0.1:{gport}"],
                      self.work, cpu=CLIENT_CPU)
        wait_grpc_ready(self, gproc, gport, 15.0)
        echo = Server("grpc-echo", gproc, gport, gport)
        out = {"direct": echo}
        common = dict(work=self.work, nofile=nofile_limit(), worker_connections=nofile_limit() - 100,
                      upstream_port=gport)
        port = free_port()
        conf = self.work / "nginx-grpc.conf"
        conf.write_text(fill("nginx-grpc.conf", name="nginx-grpc", port=port, pool=POOL, **common))
        proc = start("nginx-grpc", ["nginx", "-e", str(self.work / "nginx-grpc.err"), "-c", str(conf),
                                    "-p", str(self.work)], self.work, cpu=PROXY_CPU)
        wait_grpc_ready(self, proc, port, 15.0)
        out["nginx"] = Server("nginx-grpc", proc, port, port)
        port = free_port()
        conf = self.work / "haproxy-grpc.cfg"
        conf.write_text(fill("haproxy-grpc.cfg", work=self.work, name="haproxy-grpc", port=port,
                             upstream_port=gport))
        proc = start("haproxy-grpc", ["haproxy", "-db", "-f", str(conf)], self.work, cpu=PROXY_CPU)
        wait_grpc_ready(self, proc, port, 15.0)
        out["haproxy"] = Server("haproxy-grpc", proc, port, port)
        w = self.start_weir("weir-grpc", self.upstream, None, grpc_server=echo)
        out["weir"] = w
        out["weir-routed"] = Server("weir-grpc-routed", w.proc, w.h2c_port, w.h2c_port)
        return out

    def grpc_tool(self, mode: str, port: int, extra: list[str] = (), timeout: float = 30.0) -> dict:
        argv = ["taskset", "-c", CLIENT_CPU, str(self.grpc_echo), mode, "--addr", f"127.0.0.1:{port}"] + list(extra)
        out = run_tool(argv, timeout)
        return json.loads(out.strip().splitlines()[-1])

    # ---- measured runs ---------------------------------------------------------

    def wait_quiet(self) -> float:
        """Wait (bounded) for the machine to be quiet before a run."""
        deadline = time.monotonic() + self.a.quiet_wait
        while True:
            f = foreign_load_now(0.5)
            if f <= self.a.max_foreign or time.monotonic() >= deadline:
                return f

    def measured(self, scenario: str, target: str, rep: int, server: Server,
                 upstream: Server | None, fn) -> dict:
        """Run `fn` (which returns the tool's numbers, with `requests`) until a
        run is clean (foreign load <= --max-foreign), at most 1 + retries times."""
        attempts = []
        max_attempts = 1 + self.a.retries
        for attempt in range(1, max_attempts + 1):
            pre = self.wait_quiet()
            s0 = server.proc.cpu_ticks()
            u0 = upstream.proc.cpu_ticks() if upstream else 0
            w0 = Window.now()
            try:
                res = fn()
                error = None
            except Exception as e:  # a failed tool run is recorded, not fatal
                res, error = {"requests": 0}, f"{type(e).__name__}: {e}"
            w1 = Window.now()
            s1 = server.proc.cpu_ticks()
            u1 = upstream.proc.cpu_ticks() if upstream else 0
            foreign, steal, top_foreign, own = w0.foreign(w1)
            wall_ticks = (w1.t - w0.t) * NCPU * CLK_TCK
            # The same from /proc/stat's tick-sampled busy time, for reference only.
            stat_foreign = 100.0 * ((w1.busy - w0.busy) - own) / max(1.0, wall_ticks)
            reqs = res.get("requests") or 0
            rec = {
                "scenario": scenario, "target": target, "rep": rep, "attempt": attempt,
                "wall_s": round(w1.t - w0.t, 3), "foreign_pct": round(foreign, 2),
                "steal_pct": round(steal, 2), "pre_run_foreign_pct": round(pre, 2),
                "top_foreign": [f"{c} {1000 * t / CLK_TCK:.0f} ms" for c, t in top_foreign],
                "stat_foreign_pct": round(stat_foreign, 2),
                "server_cpu_s": (s1 - s0) / CLK_TCK,
                "server_cpu_us_per_req": round(1e6 * (s1 - s0) / CLK_TCK / reqs, 2) if reqs else None,
                "upstream_cpu_us_per_req": round(1e6 * (u1 - u0) / CLK_TCK / reqs, 2)
                if reqs and upstream else None,
                **res,
            }
            gib = (res.get("bytes") or 0) / 2**30
            if "bytes" in res:  # a byte stream (s6-tcp): CPU per GiB, not per request
                rec["server_cpu_us_per_req"] = rec["upstream_cpu_us_per_req"] = None
                rec["server_cpu_s_per_gib"] = round((s1 - s0) / CLK_TCK / gib, 3) if gib else None
                rec["upstream_cpu_s_per_gib"] = round((u1 - u0) / CLK_TCK / gib, 3) if gib and upstream else None
            strict = scenario.startswith("s2-") or "bytes" in res  # nothing may fail there
            if not error and reqs and (res.get("errors") or 0) > (0 if strict else 0.01 * reqs):
                what = "streams" if "bytes" in res else "requests"
                error = f"{res['errors']} of {reqs} {what} failed" + \
                    (f" ({res['error_detail']})" if res.get("error_detail") else "")
            if error:
                rec["error"] = error
                rec["status"] = "error"
            else:
                rec["status"] = "clean" if foreign <= self.a.max_foreign else "noisy"
            self.results.append(rec)
            attempts.append(rec)
            lat = rec.get("latency_us") or {}
            rate = (f"{rec.get('mib_s') or 0:8.0f} MiB/s  cpu {rec.get('server_cpu_s_per_gib') or 0:6.3f} s/GiB  "
                    if "bytes" in res else
                    f"{rec.get('rps') or 0:10.0f} req/s  p99 {lat.get('p99', 0):8.0f} us  "
                    f"cpu {rec['server_cpu_us_per_req'] or 0:6.1f} us/req  ")
            log(f"  {scenario:16} {target:11} rep {rep} try {attempt}: {rate}"
                f"foreign {foreign:5.2f}% -> {rec['status']}"
                + (f" ({error})" if error else ""))
            if rec["status"] != "noisy":
                break
            if attempt < max_attempts:
                if self.retries_left <= 0:
                    log("  retry budget used up; keeping the noisy run")
                    break
                self.retries_left -= 1
        kept = min(attempts, key=lambda r: (r["status"] == "error", r["foreign_pct"]))
        kept["kept"] = True
        return kept

    # ---- load tools ----------------------------------------------------------------

    def wrk(self, port: int, duration: float, conns: int, path: str = "/",
            headers: list[str] = (), routes_file: Path | None = None, https: bool = False) -> dict:
        script = self.work / ("wrk-routes.lua" if routes_file else "wrk-report.lua")
        if not script.exists():
            parts = (["routes.lua"] if routes_file else []) + ["report.lua"]
            script.write_text("\n".join((HERE / "lua" / p).read_text() for p in parts))
        duration = max(1, round(duration))  # wrk takes whole seconds
        argv = ["taskset", "-c", CLIENT_CPU, "wrk", "-t1", f"-c{conns}", f"-d{duration}s",
                "--timeout", "5s", "-s", str(script)]
        for h in headers:
            argv += ["-H", h]
        argv.append(f"{'https' if https else 'http'}://127.0.0.1:{port}{path}")
        if routes_file:
            argv += ["--", str(routes_file)]
        out = run_tool(argv, duration + 30)
        m = re.search(r"^WRKJSON (.*)$", out, re.M)
        if not m:
            raise RuntimeError(f"wrk printed no result:\n{out[-2000:]}")
        j = json.loads(m.group(1))
        errors = sum(j["errors"].values())
        return {"tool": "wrk", "requests": j["requests"], "rps": round(j["requests"] / (j["duration_us"] / 1e6), 1),
                "errors": errors, "error_detail": j["errors"], "latency_us": j["latency_us"]}

    def h2load(self, port: int, duration: float, conns: int, streams: int, path: str = "/",
               https: bool = False, data: Path | None = None, headers: list[str] = ()) -> dict:
        logf = self.work / "h2load.log"
        logf.unlink(missing_ok=True)
        duration = max(1, round(duration))  # h2load -D takes whole seconds
        argv = ["taskset", "-c", CLIENT_CPU, "h2load", "-t1", f"-c{conns}", f"-m{streams}",
                f"-D{duration}", f"--log-file={logf}"]
        if data:
            argv.append(f"--data={data}")  # POST with this body
        for h in headers:
            argv += ["-H", h]
        argv.append(f"{'https' if https else 'http'}://127.0.0.1:{port}{path}")
        out = run_tool(argv, duration + 30)
        m = re.search(r"finished in [\d.]+\w*, ([\d.]+) req/s", out)
        r = re.search(r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, "
                      r"(\d+) errored, (\d+) timeout", out)
        if not (m and r):
            raise RuntimeError(f"h2load printed no result:\n{out[-2000:]}")
        lat = []
        with open(logf) as f:
            for line in f:
                p = line.split()
                if len(p) >= 3:
                    lat.append(int(p[2]))
        logf.unlink(missing_ok=True)
        lat.sort()
        done, ok = int(r.group(3)), int(r.group(4))
        res = {"tool": "h2load", "requests": done, "rps": float(m.group(1)),
               "errors": done - ok + int(r.group(7)), "latency_us": percentiles(lat)}
        if https:
            for key, pat in (("tls_version", r"TLS Protocol: (\S+)"), ("tls_cipher", r"Cipher: (\S+)"),
                             ("alpn", r"Application protocol: (\S+)")):
                mm = re.search(pat, out)
                res[key] = mm.group(1) if mm else None
            if res["alpn"] != "h2":
                raise RuntimeError(f"h2load negotiated {res['alpn']!r}, not h2")
        return res

    def tcp_send(self, port: int, duration: float, streams: int) -> dict:
        j = self.loadgen_run("tcp-send", port, ["--streams", str(streams), "--duration", str(duration)],
                             duration + 120)
        return {"tool": "weir-loadgen tcp-send", "requests": streams, "streams": streams, "errors": j["errors"],
                "error_detail": j["first_error"], "bytes": j["bytes"], "tcp_s": j["elapsed_s"],
                "mib_s": j["mib_s"], "gbit_s": j["gbit_s"]}

    def loadgen_run(self, mode: str, port: int, extra: list[str], timeout: float) -> dict:
        argv = ["taskset", "-c", CLIENT_CPU, str(self.loadgen), mode, "--addr", f"127.0.0.1:{port}"] + extra
        out = run_tool(argv, timeout)
        j = json.loads(out.strip().splitlines()[-1])
        return j

    # ---- scenarios -----------------------------------------------------------------

    def throughput(self, scn: "Scenario", targets: dict[str, Server], upstream: Server) -> None:
        """Warm every target up, then reps x (direct, nginx, haproxy, weir, ...)."""
        a = self.a
        names = [t for t in TARGET_ORDER if t in targets]
        routes_file = Routes(scn.routes).write_targets(self.work / f"routes-{scn.routes}.txt") \
            if scn.routes else None
        token = next((s.token for s in targets.values() if s.token), None)

        def headers_for(server: Server) -> list[str]:
            """Every target gets the same request; only the policy services check
            the token, and each checks one of its own (s2: two instances, two keys)."""
            tok = server.token or token
            return list(scn.headers) + ([f"Authorization: Bearer {tok}"] if tok else [])
        body = grpc_body(self.work / "grpc-body.bin") if scn.grpc else None
        grpc_headers = ["content-type: application/grpc", "te: trailers"]

        def runner(server: Server, duration: float):
            if scn.tool == "tcp":
                fn = lambda: self.tcp_send(server.port, duration, scn.conns)
            elif scn.tool == "wrk":
                port = server.tls_port if scn.tls else server.port
                fn = lambda: self.wrk(port, duration, scn.conns, scn.path, headers_for(server), routes_file,
                                      https=scn.tls)
            elif scn.grpc:
                fn = lambda: self.h2load(server.port, duration, scn.conns, scn.streams, path=GRPC_PATH,
                                         data=body, headers=grpc_headers)
            elif scn.tls:
                fn = lambda: self.h2load(server.tls_port, duration, scn.conns, scn.streams, https=True)
            else:
                fn = lambda: self.h2load(server.h2c_port, duration, scn.conns, scn.streams)
            if scn.grpc:
                return self.counting_grpc_calls(fn, targets["direct"].port, scn.conns * scn.streams)
            if server.log_file:
                return self.measuring_log(fn, server.log_file)
            return fn

        for t in names:  # warm-up: JIT-free servers still fill pools, caches and allocators
            try:
                runner(targets[t], a.warmup)()
            except Exception as e:
                log(f"  warm-up of {t} failed: {e}")
        for rep in range(1, a.reps + 1):
            for t in names:
                self.measured(scn.id, t, rep, targets[t],
                              None if t == "direct" else targets.get("direct", upstream),
                              runner(targets[t], a.duration))

    def counting_grpc_calls(self, fn, server_port: int, in_flight: int):
        """Wrap an h2load gRPC run: h2load only sees HTTP statuses, a proxy's
        gRPC error is a 200 with grpc-status in trailers. So the gRPC server's
        own count of Unary calls must have grown by h2load's successes (plus at
        most the calls in flight when h2load stopped)."""
        def wrapped():
            before = self.grpc_tool("count", server_port)["count"]
            res = fn()
            after = self.grpc_tool("count", server_port)["count"]
            served = after - before
            res["server_calls"] = served
            ok = res["requests"] - res["errors"]
            if served < ok or served > res["requests"] + in_flight:
                res["errors"] = max(res["errors"], abs(ok - served))
                res["error_detail"] = f"gRPC server served {served} calls, h2load counted {ok} successes"
            return res
        return wrapped

    def measuring_log(self, fn, path: Path):
        """Wrap a run against a server writing an access log: count the lines
        and bytes it wrote for the run's requests, then empty the file (disk)."""
        def wrapped():
            path.write_bytes(b"")  # O_APPEND writers carry on at the new end
            res = fn()
            time.sleep(1.2)  # nginx flushes its buffer every second, Weir at once
            lines = size = 0
            with open(path, "rb") as f:
                while chunk := f.read(1 << 20):
                    lines += chunk.count(b"\n")
                    size += len(chunk)
            path.write_bytes(b"")
            # Slightly above 1.0 is normal: requests in flight when wrk stops are
            # served and logged, but not counted by wrk (up to one per connection).
            res.update(log_lines=lines, log_bytes_per_line=round(size / lines, 1) if lines else None,
                       log_lines_per_req=round(lines / res["requests"], 4) if res.get("requests") else None)
            return res
        return wrapped

    def fixed_rate(self, scn: "Scenario", targets: dict[str, Server], upstream: Server) -> None:
        a = self.a
        nginx_max = self.median_rps("s1-small", "nginx")
        s1 = aggregate([r for r in self.results if r["scenario"] == "s1-small"]).get(("s1-small", "nginx"))
        basis = "" if s1 and s1["clean"] else " — measured while the machine was busy, so lower than it should be"
        if nginx_max is None:
            log("  no s1-small nginx result in this run: measuring nginx's maximum first")
            nginx_max = self.wrk(targets["nginx"].port, max(2.0, a.warmup), 50)["rps"]
        rate = max(100.0, round(0.5 * nginx_max, -2))
        self.scenario_notes[scn.id] = (f"fixed rate {rate:.0f} req/s = 50 % of nginx's s1-small maximum "
                                       f"({nginx_max:.0f} req/s{basis})")
        log(f"  fixed rate {rate:.0f} req/s (50 % of nginx-proxy max {nginx_max:.0f})")
        names = [t for t in TARGET_ORDER if t in targets]

        def runner(server: Server, duration: float, warm: float):
            def fn():
                j = self.loadgen_run("rate", server.port,
                                     ["--rate", str(rate), "--conns", str(scn.conns), "--duration", str(duration),
                                      "--warmup", str(warm)], duration + warm + 30)
                return {"tool": "weir-loadgen rate", "requests": j["completed"], "rps": j["rps"],
                        "target_rate": rate, "errors": j["errors"] + j["non2xx"],
                        "latency_us": j["latency_us"], "latency_uncorrected_us": j["latency_uncorrected_us"],
                        "send_lag_us": j["send_lag_us"], "queued": j["queued"], "max_backlog": j["max_backlog"]}
            return fn

        for t in names:
            try:
                runner(targets[t], a.warmup, 0)()
            except Exception as e:
                log(f"  warm-up of {t} failed: {e}")
        for rep in range(1, a.reps + 1):
            for t in names:
                self.measured(scn.id, t, rep, targets[t], None if t == "direct" else upstream,
                              runner(targets[t], a.duration, min(1.0, a.warmup)))

    def idle_memory(self, scn: "Scenario", upstream: Server) -> None:
        """RSS of a fresh proxy before and while it holds N idle keep-alive clients."""
        n = self.a.idle_conns
        if nofile_limit() < n + 500:
            raise RuntimeError(f"open-file limit {nofile_limit()} is too low for {n} connections")
        for rep in range(1, self.a.mem_reps + 1):
            for t in ("nginx", "haproxy", "weir"):
                srv = self.start_proxies(f"mem{rep}", upstream, None, which=(t,))[t]
                rec = {"scenario": scn.id, "target": t, "rep": rep, "conns": n}
                holder = None
                try:
                    self.loadgen_run("count", srv.port, ["--requests", "2000", "--conns", "50"], 60)
                    time.sleep(0.5)
                    rec["rss_before_kib"] = srv.proc.rss_kib()
                    holder = subprocess.Popen(
                        ["taskset", "-c", CLIENT_CPU, str(self.loadgen), "hold", "--addr",
                         f"127.0.0.1:{srv.port}", "--conns", str(n), "--max-hold", "120"],
                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                        start_new_session=True, preexec_fn=_child_setup)
                    first = json.loads(read_line(holder, 90))
                    time.sleep(1.0)  # let the server settle
                    rec["rss_with_conns_kib"] = srv.proc.rss_kib()
                    rec["fds"] = sum(len(os.listdir(f"/proc/{p}/fd")) for p in srv.proc.pids()
                                     if os.path.exists(f"/proc/{p}/fd"))
                    holder.stdin.close()
                    end = json.loads(read_line(holder, 30))
                    holder.wait(timeout=30)
                    rec.update(open=first["open"], errors=first["errors"] + first["non2xx"],
                               alive_at_end=end["alive"], connect_s=first["elapsed_s"])
                    opened = max(1, first["open"])
                    rec["per_conn_kib"] = round((rec["rss_with_conns_kib"] - rec["rss_before_kib"]) / opened, 2)
                    log(f"  {scn.id:16} {t:8} rep {rep}: RSS {rec['rss_before_kib'] / 1024:.1f} -> "
                        f"{rec['rss_with_conns_kib'] / 1024:.1f} MiB with {first['open']} idle conns "
                        f"= {rec['per_conn_kib']:.2f} KiB/conn (still open at end: {end['alive']})")
                except Exception as e:
                    rec["error"] = f"{type(e).__name__}: {e}"
                    log(f"  {scn.id} {t} rep {rep} failed: {rec['error']}")
                finally:
                    if holder and holder.poll() is None:
                        holder.kill()
                        holder.wait()
                    stop(srv.proc)
                self.memory.append(rec)

    def instructions(self, scn: "Scenario", upstream: Server) -> None:
        """User-space instructions per request under callgrind, Weir and nginx
        (s2: Weir with every policy, nginx plain and Weir plain, all sent the
        same request; s1-accesslog: both writing their access log)."""
        routes = Routes(scn.routes) if scn.routes else None
        targets_file = routes.write_targets(self.work / f"cg-routes-{scn.routes}.txt") if routes else None
        policies = scn.id.startswith("s2-")
        logs = "accesslog" in scn.setups
        token = None
        # s2: the policy instance first, for the token every target is sent.
        for t in (("weir", "nginx", "weir-plain") if policies else ("nginx", "weir")):
            out = self.work / f"callgrind.{t}.{scn.id}"
            rec = {"scenario": scn.id, "target": t, "requests": self.a.callgrind_requests}
            srv = None
            log_file = self.work / f"cg-{t}-access.log" if logs else None
            try:
                if t == "nginx":
                    srv = self.start_nginx(f"cg-{t}-{scn.id}", upstream, routes, valgrind_out=out,
                                           access_log=log_file)
                else:
                    srv = self.start_weir(f"cg-{t}-{scn.id}", upstream, routes, valgrind_out=out,
                                          policies=policies and t == "weir", access_log=log_file)
                token = token or srv.token
                req = (["--targets", str(targets_file)] if targets_file else ["--path", scn.path])
                for h in scn.headers + ([f"Authorization: Bearer {token}"] if token else []):
                    req += ["--header", h]
                pid = valgrind_pid(srv.proc)
                # Warm-up passes every route at least once, so per-route upstream
                # pools are filled before counting starts.
                nwarm = max(2000, 2 * scn.routes)
                warm = self.loadgen_run("count", srv.port, ["--requests", str(nwarm), "--conns", "50"] + req, 600)
                if warm["errors"] or warm["non2xx"]:
                    raise RuntimeError(f"warm-up errors: {warm}")
                callgrind_control(["-i", "on"], pid)
                j = self.loadgen_run("count", srv.port, ["--requests", str(self.a.callgrind_requests),
                                                         "--conns", "50"] + req, 1800)
                callgrind_control(["-d"], pid)
                dumps = sorted(glob.glob(f"{out}*"), key=os.path.getmtime)
                if not dumps:
                    raise RuntimeError("callgrind wrote no dump")
                ir = callgrind_total(Path(dumps[-1]))
                rec.update(instructions=ir, instr_per_req=round(ir / j["completed"], 1),
                           completed=j["completed"], errors=j["errors"] + j["non2xx"], dump=dumps[-1])
                if self.a.profiles and scn.id in ("s1-small", "s2-policies", "s3-routes-10000"):
                    save_annotations(Path(dumps[-1]), self.a.out / "profiles" / f"{t}-{scn.id}",
                                     j["completed"])
                log(f"  {scn.id:16} {t:10}: {rec['instr_per_req']:,.0f} instructions/request "
                    f"({ir:,} over {j['completed']} requests)")
            except Exception as e:
                rec["error"] = f"{type(e).__name__}: {e}"
                log(f"  callgrind {scn.id} {t} failed: {rec['error']}")
            finally:
                if srv:
                    stop(srv.proc, grace=30)
                if log_file:
                    log_file.unlink(missing_ok=True)
            self.callgrind.append(rec)

    def median_rps(self, scenario: str, target: str) -> float | None:
        rows = [r for r in self.results if r["scenario"] == scenario and r["target"] == target
                and r.get("kept") and r["status"] != "error"]
        return median([r.get("rps") for r in rows])

    # ---- the whole run ---------------------------------------------------------------

    # ---- sets of servers -------------------------------------------------------------

    def start_setup(self, key: str) -> dict[str, Server]:
        """Start one set of targets (a scenario's `setups`); "direct" is the upstream."""
        up = self.upstream
        if key == "plain":
            return {"direct": up, **self.start_proxies("plain", up, None)}
        if key.startswith("routes"):
            n = int(key[len("routes"):])
            return {"direct": up, **self.start_proxies(key, up, Routes(n))}
        if key == "policies":
            w = self.start_weir("weir-policies", up, None, policies=True)
            self.check_policies(w)
            return {"weir": w}
        if key == "policies-redis":
            redis = self.start_redis()
            w = self.start_weir("weir-policies-redis", up, None, policies=True,
                                redis=f"redis+unix://{redis.sock}")
            self.check_policies(w)
            return {"weir": w, "redis": redis}
        if key == "tls":
            out = {"direct": up, "nginx": self.start_nginx("nginx-tls", up, None, tls=True),
                   "haproxy": self.start_haproxy("haproxy-tls", up, None, tls=True),
                   "weir": self.start_weir("weir-tls", up, None, tls=self.tls)}
            probes = {t: tls_probe(s.tls_port, ["h2", "http/1.1"]) for t, s in out.items()}
            self.tls_note = ("TLS negotiated by a client with OpenSSL's defaults (the library wrk and h2load "
                             "use), offering ALPN h2 and http/1.1 as h2load does (wrk offers none and speaks "
                             "HTTP/1.1): " + "; ".join(f"{t} {p['version']} {p['cipher']} ALPN {p['alpn']}"
                                                       for t, p in probes.items()))
            log(f"  {self.tls_note}")
            return out
        if key == "accesslog":
            return {"nginx": self.start_nginx("nginx-log", up, None, access_log=self.work / "nginx-access.log"),
                    "weir": self.start_weir("weir-log", up, None, access_log=self.work / "weir-access.log")}
        if key == "tcp":
            return self.start_tcp()
        if key == "grpc":
            return self.start_grpc()
        raise ValueError(f"unknown set of servers {key!r}")

    def start_redis(self) -> Server:
        """A redis-server of the run's own for the shared limiter (s2), on a
        unix socket in the work directory, beside the load client's core."""
        sock = self.work / "redis.sock"
        proc = start("redis", ["redis-server", "--port", "0", "--unixsocket", str(sock), "--save", "",
                               "--appendonly", "no", "--dir", str(self.work)], self.work, cpu=CLIENT_CPU)
        deadline = time.time() + 15
        while True:
            r = subprocess.run(["redis-cli", "-s", str(sock), "ping"], capture_output=True, text=True)
            if r.stdout.strip() == "PONG":
                break
            if time.time() > deadline or not proc.alive():
                raise RuntimeError(f"redis-server did not start (see {proc.log_path})")
            time.sleep(0.05)
        return Server("redis", proc, 0, 0, sock=sock)

    def stop_setup(self, key: str) -> None:
        for srv in self.setups.pop(key, {}).values():
            if srv.proc is not self.upstream.proc:
                stop(srv.proc)

    def targets_for(self, scn: "Scenario") -> dict[str, Server]:
        for key in scn.setups:
            if key not in self.setups:
                log(f"  starting servers: {key}")
                self.setups[key] = self.start_setup(key)
        if scn.pick:
            return {t: self.setups[k][name] for t, (k, name) in scn.pick.items()}
        return {t: srv for key in scn.setups for t, srv in self.setups[key].items()}

    def check_policies(self, w: Server) -> None:
        """Before measuring s2, prove every policy is on: no token -> 401; with
        the token the upstream sees the rewritten path, X-Gateway set, X-Debug
        removed and the tenant; the client's address is on the allow list."""
        st, body = http_request(w.port, S2_PATH, {"X-Debug": "1"})
        if st != 401:
            raise RuntimeError(f"s2: a request without a token got {st}, not 401: {body[:200]!r}")
        st, body = http_request(w.port, S2_CHECK, {"X-Debug": "1", "Authorization": f"Bearer {w.token}"})
        want = f"/check/x|weir||{BENCH_APP}".encode()
        if st != 200 or body != want:
            raise RuntimeError(f"s2: policy check got {st} {body[:200]!r}, want 200 {want!r}")
        self.scenario_notes["s2-policies"] = (
            f"Weir's service: `access.ip_allow` with {len(allow_list())} CIDRs (127.0.0.0/8 among them), "
            f"`access.auth` (tenant `{BENCH_APP}`, its own `ip_allow` 127.0.0.0/8; token from Weir's "
            f"`POST /oauth/tokens`, sent as `Authorization: Bearer` by every client), `limits` service_qps and "
            f"client_ip_qps {HIGH_QPS:,} and tenant qps {HIGH_QPS:,} (nothing limited), request_headers "
            f"set X-Gateway + remove X-Debug (the client sends X-Debug), rewrite `^/v1/(.*)` -> `/$1`; "
            f"checked before the runs: no token -> 401, and the upstream received `{want.decode()}` "
            f"(rewritten path|X-Gateway|X-Debug|X-Weir-App-Id). Every target gets the same request "
            f"(`GET {S2_PATH}` with both headers); Weir plain is the s1 configuration; any non-2xx "
            f"response makes a run an error")

    # ---- the whole run ---------------------------------------------------------------

    def run(self) -> None:
        self.prepare_weir()
        log(f"work dir {self.work}; weir {self.weir_sha} ({' '.join(self.weir_role)}); "
            f"{self.a.reps} reps x {self.a.duration}s; max foreign load {self.a.max_foreign}%")
        selected = [s for s in SCENARIOS if self.a.only is None or any(s.id.startswith(o) for o in self.a.only)]
        live = [s for s in selected if not s.pending and not self.a.callgrind_only
                and s.kind in ("throughput", "fixed-rate")]
        if any(s.tls for s in live):
            self.tls = make_cert(self.work)
        if any(s.tool == "tcp" for s in live) and not self.stream_module:
            log("  nginx stream module missing (libnginx-mod-stream): s6-tcp without nginx")
        self.upstream = upstream = self.start_upstream()
        for i, scn in enumerate(live):
            log(f"{scn.id}: {scn.title}")
            try:
                targets = self.targets_for(scn)
            except Exception as e:
                log(f"  {scn.id} skipped: could not start its servers: {type(e).__name__}: {e}")
                self.scenario_notes[scn.id] = f"not measured: its servers failed to start ({e})"
                targets = None
            if targets is not None:
                if scn.tls and getattr(self, "tls_note", None):
                    self.scenario_notes[scn.id] = self.tls_note
                if scn.kind == "fixed-rate":
                    self.fixed_rate(scn, targets, upstream)
                else:
                    self.throughput(scn, targets, upstream)
            later = {k for s in live[i + 1:] for k in s.setups}
            for key in [k for k in self.setups if k not in later]:
                self.stop_setup(key)
        for scn in selected:
            if scn.kind == "memory" and not scn.pending and not self.a.callgrind_only:
                log(f"{scn.id}: {scn.title}")
                self.idle_memory(scn, upstream)
        if not self.a.no_callgrind:
            for scn in selected:
                if scn.id in self.a.callgrind_scenarios and not scn.pending:
                    log(f"{scn.id}: instructions per request under callgrind")
                    self.instructions(scn, upstream)
        stop(upstream.proc)


def run_tool(argv: list[str], timeout: float) -> str:
    r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, preexec_fn=_child_setup)
    if r.returncode != 0:
        raise RuntimeError(f"{argv[3] if argv[0] == 'taskset' else argv[0]} exited {r.returncode}: "
                           f"{(r.stderr or r.stdout)[-1500:]}")
    return r.stdout


def read_line(p: subprocess.Popen, timeout: float) -> str:
    import selectors
    sel = selectors.DefaultSelector()
    sel.register(p.stdout, selectors.EVENT_READ)
    if not sel.select(timeout):
        raise TimeoutError("no output from the load client")
    line = p.stdout.readline()
    if not line:
        raise RuntimeError("the load client exited early")
    return line


def percentiles(sorted_us: list[int]) -> dict:
    def p(q):
        if not sorted_us:
            return 0
        return sorted_us[min(len(sorted_us), max(1, math.ceil(q / 100 * len(sorted_us)))) - 1]
    return {"p50": p(50), "p90": p(90), "p99": p(99), "p999": p(99.9), "max": p(100),
            "mean": round(sum(sorted_us) / len(sorted_us), 1) if sorted_us else 0}


# ---- callgrind -----------------------------------------------------------------------

def valgrind_argv(out: Path) -> list[str]:
    # Counting starts switched off; callgrind_control -i on after the warm-up.
    return ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}"]


def valgrind_pid(proc: Proc) -> int:
    # `taskset -c N valgrind ...` execs, so the pid is valgrind's.
    return proc.pid


def callgrind_control(args: list[str], pid: int) -> None:
    r = subprocess.run(["callgrind_control"] + args + [str(pid)], capture_output=True, text=True, timeout=120)
    if r.returncode != 0 or "Error" in r.stdout:
        raise RuntimeError(f"callgrind_control {' '.join(args)} failed: {r.stdout} {r.stderr}")


def callgrind_total(dump: Path) -> int:
    for line in dump.read_text(errors="replace").splitlines():
        if line.startswith(("summary:", "totals:")):
            return int(line.split()[1])
    raise RuntimeError(f"no totals in {dump}")


def save_annotations(dump: Path, prefix: Path, requests: int) -> None:
    prefix.parent.mkdir(parents=True, exist_ok=True)
    # Per function whatever file its inlined code came from, and per kind of work.
    r = subprocess.run([sys.executable, str(HERE / "cgsum.py"), str(dump), "--requests", str(requests),
                        "--top", "50"], capture_output=True, text=True, timeout=300)
    Path(f"{prefix}.summary.txt").write_text(r.stdout + r.stderr)
    for mode in ("self", "inclusive"):
        r = subprocess.run(["callgrind_annotate", f"--inclusive={'yes' if mode == 'inclusive' else 'no'}",
                            "--threshold=99", str(dump)], capture_output=True, text=True, timeout=300)
        lines = r.stdout.splitlines()
        # Keep the head (totals and the top functions), cut very long symbol lines.
        keep = [ln if len(ln) < 400 else ln[:400] + " ..." for ln in lines[:120]]
        Path(f"{prefix}.{mode}.txt").write_text("\n".join(keep) + "\n")


# --------------------------------------------------------------------------
# Scenarios: add one by appending here (and, for a new kind, a method on Bench).
# --------------------------------------------------------------------------

@dataclass
class Scenario:
    id: str
    title: str
    kind: str  # throughput | fixed-rate | memory
    tool: str = "wrk"  # wrk | h2load | tcp (weir-loadgen tcp-send)
    conns: int = 50  # connections (for tcp: concurrent streams)
    streams: int = 1
    path: str = "/"
    headers: list[str] = field(default_factory=list)
    routes: int = 0
    tls: bool = False  # https:// to each target's TLS port
    grpc: bool = False  # h2load with a framed gRPC message (s6-grpc)
    # Which set of servers it runs against (Bench.start_setup), and for
    # scenarios that mix sets, target -> (set, target in that set).
    setups: tuple[str, ...] = ("plain",)
    pick: dict[str, tuple[str, str]] | None = None
    # Extra bold ratio rows in the scenario's table: (label, numerator, denominator).
    ratios: list[tuple[str, str, str]] = field(default_factory=list)
    pending: str | None = None  # "<feature> (issue N)" while Weir lacks what it needs

    def __post_init__(self):
        if self.routes:
            self.setups = (f"routes{self.routes}",)


SCENARIOS = [
    Scenario("s1-small", "HTTP/1.1 keep-alive, 50 connections, plain proxy, 2-byte body", "throughput"),
    Scenario("s1-16k", "HTTP/1.1 keep-alive, 50 connections, plain proxy, 16 KiB body", "throughput",
             path="/16k"),
    Scenario("s1-accesslog", "s1-small with an access log written to a file (JSON lines)", "throughput",
             setups=("accesslog",)),
    Scenario("s2-policies", "s1 with every policy on: 1,000-CIDR allow list, JWT, service + client-IP + tenant "
             "limits, header set + remove, regex rewrite", "throughput",
             path=S2_PATH, headers=["X-Debug: 1"], setups=("plain", "policies", "policies-redis"),
             pick={"nginx": ("plain", "nginx"), "weir-plain": ("plain", "weir"), "weir": ("policies", "weir"),
                   "weir-redis": ("policies-redis", "weir")},
             ratios=[("Weir policies / Weir plain", "weir", "weir-plain"),
                     ("Weir limits in Redis / per process", "weir-redis", "weir")]),
    Scenario("s3-routes-10", "route table of 10 services (prefix + host), requests spread over all",
             "throughput", routes=10),
    Scenario("s3-routes-1000", "route table of 1,000 services (prefix + host), requests spread over all",
             "throughput", routes=1000),
    Scenario("s3-routes-10000", "route table of 10,000 services (prefix + host), requests spread over all",
             "throughput", routes=10000),
    Scenario("s4-h2c", "HTTP/2 cleartext (h2c), h2load 10 connections x 10 streams", "throughput",
             tool="h2load", conns=10, streams=10),
    Scenario("s4-https-h1", "HTTPS (TLS 1.3) HTTP/1.1 keep-alive, 50 connections", "throughput",
             tls=True, setups=("tls",)),
    Scenario("s4-https-h2", "HTTPS (TLS 1.3) HTTP/2, h2load 10 connections x 10 streams", "throughput",
             tool="h2load", conns=10, streams=10, tls=True, setups=("tls",)),
    Scenario("s5-new-conn", "new connection per request (Connection: close), 50 connections", "throughput",
             headers=["Connection: close"]),
    Scenario("s6-tcp", "TCP proxy throughput: 4 concurrent streams client -> sink, 64 KiB writes", "throughput",
             tool="tcp", conns=4, setups=("tcp",)),
    Scenario("s6-grpc", f"unary gRPC calls ({GRPC_PAYLOAD}-byte message echoed), h2load 10 connections x 10 "
             "streams", "throughput", tool="h2load", conns=10, streams=10, grpc=True, setups=("grpc",),
             ratios=[("Weir / direct", "weir", "direct"), ("Weir routed / direct", "weir-routed", "direct")]),
    Scenario("s7-fixed-rate", "latency at a fixed rate of 50 % of nginx's maximum, 50 connections",
             "fixed-rate"),
    Scenario("s8-idle-memory", "RSS with idle keep-alive client connections", "memory"),
]


# --------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------

def aggregate(results: list[dict]) -> dict:
    """(scenario, target) -> medians over the kept runs, clean ones preferred."""
    cells: dict[tuple[str, str], dict] = {}
    keys = sorted({(r["scenario"], r["target"]) for r in results})
    for key in keys:
        kept = [r for r in results if (r["scenario"], r["target"]) == key and r.get("kept")]
        clean = [r for r in kept if r["status"] == "clean"]
        use = clean or [r for r in kept if r["status"] == "noisy"]
        rps = [r["rps"] for r in use if r.get("rps") is not None]
        mib = [r["mib_s"] for r in use if r.get("mib_s") is not None]
        lat = lambda k: median([(r.get("latency_us") or {}).get(k) for r in use])
        cells[key] = {
            "runs": len(kept), "clean": len(clean),
            "noisy": sum(r["status"] == "noisy" for r in kept),
            "failed": sum(r["status"] == "error" for r in kept),
            "attempts": sum(1 for r in results if (r["scenario"], r["target"]) == key),
            "rps": median(rps), "rps_min": min(rps) if rps else None, "rps_max": max(rps) if rps else None,
            "p50": lat("p50"), "p99": lat("p99"), "p999": lat("p999"),
            "cpu_us_per_req": median([r.get("server_cpu_us_per_req") for r in use]),
            "upstream_cpu_us_per_req": median([r.get("upstream_cpu_us_per_req") for r in use]),
            "errors": sum(r.get("errors") or 0 for r in (use or kept)),
            "error_detail": next((r["error"] for r in kept if r.get("error")), None),
            # byte streams (s6-tcp)
            "mib_s": median(mib), "mib_s_min": min(mib) if mib else None, "mib_s_max": max(mib) if mib else None,
            "gbit_s": median([r.get("gbit_s") for r in use]),
            "cpu_s_per_gib": median([r.get("server_cpu_s_per_gib") for r in use]),
            "upstream_cpu_s_per_gib": median([r.get("upstream_cpu_s_per_gib") for r in use]),
            # access log (s1-accesslog)
            "log_lines_per_req": median([r.get("log_lines_per_req") for r in use]),
            "log_bytes_per_line": median([r.get("log_bytes_per_line") for r in use]),
            # fixed-rate runs: how well the client kept to its schedule
            "send_lag_p99": median([(r.get("send_lag_us") or {}).get("p99") for r in use]),
            "queued": median([r.get("queued") for r in use]),
            "foreign_pct_max": max((r["foreign_pct"] for r in kept), default=None),
            "status": "clean" if kept and len(clean) == len(kept) else
                      ("failed" if use == [] else ("partly noisy" if clean else "noisy")),
        }
    return cells


def fmt(x, digits=0, unit=""):
    if x is None:
        return "–"
    if isinstance(x, float) and digits == 0:
        return f"{x:,.0f}{unit}"
    return f"{x:,.{digits}f}{unit}"


def ratio(a, b, digits=2):
    if a is None or b in (None, 0):
        return "–"
    return f"{a / b:.{digits}f}"


def cell_ratio(wc: dict | None, nc: dict | None, key: str) -> str:
    """Weir/nginx for one metric; marked when either side has no clean run."""
    if not wc or not nc:
        return "–"
    r = ratio(wc.get(key), nc.get(key))
    if r != "–" and (wc["clean"] == 0 or nc["clean"] == 0):
        r += " (noisy)"
    return r


def write_report(b: Bench, out: Path, meta: dict | None = None) -> None:
    a = b.a
    cells = aggregate(b.results)
    cg = {(r["scenario"], r["target"]): r for r in b.callgrind}
    mem: dict[str, list[dict]] = {}
    for r in b.memory:
        mem.setdefault(r["target"], []).append(r)
    meta = meta or machine_meta(b)
    out.mkdir(parents=True, exist_ok=True)
    raw = {"meta": meta, "settings": vars(a) | {"out": str(a.out)}, "aggregate": {f"{s}/{t}": v for (s, t), v in cells.items()},
           "runs": b.results, "callgrind": b.callgrind, "memory": b.memory,
           "notes": b.scenario_notes,
           "pending": [{"scenario": s.id, "title": s.title, "pending": s.pending} for s in SCENARIOS if s.pending]}
    (out / "LATEST.json").write_text(json.dumps(raw, indent=1, default=str) + "\n")

    L = []
    w = L.append
    w(f"# Weir benchmark: {'SMOKE RUN (not a measurement)' if a.smoke else 'results'}\n")
    w(f"Generated by `{'make bench-smoke' if a.smoke else 'make bench'}` on {meta['date']}; raw numbers in "
      f"[LATEST.json](LATEST.json). How to read this: [docs/performance.md](../../docs/performance.md).\n")
    w(f"- Weir: commit `{meta['git']}`, binary sha256 `{meta['weir_sha']}`, `weir {meta['weir_role']}` with "
      f"1 worker thread on CPU {PROXY_CPU}; nginx and HAProxy: 1 worker / 1 thread on CPU {PROXY_CPU}; "
      f"load client and upstream (nginx `return 200`) on CPU {CLIENT_CPU}.")
    w(f"- Machine: {meta['cpu']}, {meta['ncpu']} CPUs, Linux {meta['kernel']}; {meta['tools']}.")
    w(f"- {a.reps} interleaved repetitions per cell of {a.duration:g} s each; cells show the median "
      f"(and min–max for req/s) of the clean runs. A run is discarded as noisy when processes other than "
      f"the benchmark's used more than {a.max_foreign:g} % of the machine's CPU time during it; it is "
      f"retried up to {a.retries} times (at most {a.max_total_retries} retries per bench).\n")

    # Summary
    w("## Weir / nginx\n")
    w("Ratios of Weir to nginx `proxy_pass` in the same run. req/s: higher is better (goal ≥ 1.0); "
      "latency, CPU and instructions per request: lower is better (goal ≤ 1.0). s2 compares Weir with "
      "every policy to plain nginx (its goal, against Weir plain, is below); s6-tcp compares bytes/s and "
      "CPU per GiB with nginx's stream module; s6-grpc compares with nginx `grpc_pass`.\n")
    w("| scenario | req/s | p50 | p99 | p99.9 | CPU µs/req | instructions/req | noise (Weir, nginx) |")
    w("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for s in SCENARIOS:
        if s.pending:
            w(f"| {s.id} | pending: {s.pending} | | | | | | |")
            continue
        if s.kind == "memory":
            nm = median([r.get("per_conn_kib") for r in mem.get("nginx", [])])
            wm = median([r.get("per_conn_kib") for r in mem.get("weir", [])])
            na = median([r.get("rss_with_conns_kib") for r in mem.get("nginx", [])])
            wa = median([r.get("rss_with_conns_kib") for r in mem.get("weir", [])])
            if nm is not None or wm is not None:
                w(f"| {s.id} | memory: per idle connection Weir {fmt(wm, 2)} KiB / nginx {fmt(nm, 2)} KiB "
                  f"= **{ratio(wm, nm)}**; RSS with {a.idle_conns:,} connections Weir "
                  f"{fmt(wa and wa / 1024, 1)} MiB / nginx {fmt(na and na / 1024, 1)} MiB = **{ratio(wa, na)}** "
                  f"| | | | | | n/a (memory) |")
            continue
        wc, nc = cells.get((s.id, "weir")), cells.get((s.id, "nginx"))
        if not wc and not nc and (s.id, "weir") not in cg:
            continue
        wc, nc = wc or {}, nc or {}
        wi, ni = cg.get((s.id, "weir"), {}), cg.get((s.id, "nginx"), {})
        if s.tool == "tcp":  # bytes, not requests
            w(f"| {s.id} | MiB/s {cell_ratio(wc, nc, 'mib_s')} | | | | CPU s/GiB {cell_ratio(wc, nc, 'cpu_s_per_gib')} "
              f"| | {wc.get('status', '–')}, {nc.get('status', '–')} |")
            continue
        w(f"| {s.id} | {cell_ratio(wc, nc, 'rps')} | {cell_ratio(wc, nc, 'p50')} | "
          f"{cell_ratio(wc, nc, 'p99')} | {cell_ratio(wc, nc, 'p999')} | "
          f"{cell_ratio(wc, nc, 'cpu_us_per_req')} | "
          f"{ratio(wi.get('instr_per_req'), ni.get('instr_per_req'))} | "
          f"{wc.get('status', '–')}, {nc.get('status', '–')} |")
    w("")
    goals = goal_lines(cells, cg)
    if goals:
        w("Goals from issue 7 (distance):\n")
        L.extend(f"- {g}" for g in goals)
        w("")

    # Details
    w("## Scenarios\n")
    for s in SCENARIOS:
        if s.pending or s.kind == "memory":
            continue
        rows = [(t, cells[(s.id, t)]) for t in TARGET_ORDER if (s.id, t) in cells]
        if not rows:
            continue
        w(f"### {s.id}: {s.title}\n")
        if s.id in b.scenario_notes:
            w(b.scenario_notes[s.id] + ".\n")
        status = lambda c: (f"{c['clean']}/{c['runs']} ({c['attempts']})"
                            f"{'' if c['status'] == 'clean' else ' ' + c['status'].upper()}")
        errors = lambda c: f"{c['errors']}" + (f" ({c['error_detail']})" if c.get("error_detail") else "")
        pairs = [("Weir / nginx", "weir", "nginx")] + [tuple(r) for r in s.ratios]
        if s.tool == "tcp":
            w("| target | MiB/s median (min–max) | Gbit/s | server CPU s/GiB | sink CPU s/GiB | errors | "
              "runs clean/kept (attempts) |")
            w("| --- " * 7 + "|")
            for t, c in rows:
                w(f"| {target_title(s.id, t)} | {fmt(c['mib_s'])} ({fmt(c['mib_s_min'])}–{fmt(c['mib_s_max'])}) | "
                  f"{fmt(c['gbit_s'], 2)} | {fmt(c['cpu_s_per_gib'], 3)} | {fmt(c['upstream_cpu_s_per_gib'], 3)} | "
                  f"{errors(c)} | {status(c)} |")
            for label, num, den in pairs + [("Weir / HAProxy", "weir", "haproxy"), ("Weir / direct", "weir", "direct")]:
                x, y = cells.get((s.id, num)), cells.get((s.id, den))
                if x and y:  # the direct sink's CPU is not a proxy's: no CPU ratio against it
                    cpu = cell_ratio(x, y, 'cpu_s_per_gib') if den != "direct" else ""
                    w(f"| **{label}** | **{cell_ratio(x, y, 'mib_s')}** | | {cpu} | | | |")
            w("")
            continue
        fixed = s.kind == "fixed-rate"
        logs = any(c.get("log_lines_per_req") is not None for _, c in rows)
        extra_h = (" client send lag p99 µs | requests queued |" if fixed else "") + \
            (" log lines / request | bytes / line |" if logs else "")
        w("| target | req/s median (min–max) | p50 µs | p99 µs | p99.9 µs | server CPU µs/req | "
          "upstream CPU µs/req | errors | runs clean/kept (attempts) |" + extra_h)
        w("| --- " * (9 + 2 * fixed + 2 * logs) + "|")
        for t, c in rows:
            extra = (f" {fmt(c['send_lag_p99'])} | {fmt(c['queued'])} |" if fixed else "") + \
                (f" {fmt(c['log_lines_per_req'], 3)} | {fmt(c['log_bytes_per_line'])} |" if logs else "")
            w(f"| {target_title(s.id, t)} | {fmt(c['rps'])} ({fmt(c['rps_min'])}–{fmt(c['rps_max'])}) | "
              f"{fmt(c['p50'])} | {fmt(c['p99'])} | {fmt(c['p999'])} | {fmt(c['cpu_us_per_req'], 1)} | "
              f"{fmt(c['upstream_cpu_us_per_req'], 1)} | {errors(c)} | {status(c)} |" + extra)
        for label, num, den in pairs:
            x, y = cells.get((s.id, num)), cells.get((s.id, den))
            if x and y:  # the upstream's own CPU is not a proxy's: no CPU ratio against direct
                cpu = cell_ratio(x, y, 'cpu_us_per_req') if den != "direct" else ""
                w(f"| **{label}** | **{cell_ratio(x, y, 'rps')}** | {cell_ratio(x, y, 'p50')} | "
                  f"{cell_ratio(x, y, 'p99')} | {cell_ratio(x, y, 'p999')} | "
                  f"{cpu} | | | |" + (" | |" if fixed else "") + (" | |" if logs else ""))
        w("")

    if b.memory:
        w(f"### s8-idle-memory: RSS with {a.idle_conns:,} idle keep-alive client connections\n")
        w("Fresh process per repetition; 2,000 requests first, then RSS (sum of VmRSS of the server's "
          "processes) before and while holding the connections (each has completed one request). "
          "Kernel socket buffers are not in RSS.\n")
        w("| target | RSS before MiB | RSS with connections MiB | KiB per connection | still open at end | errors |")
        w("| --- | --- | --- | --- | --- | --- |")
        for t in ("nginx", "haproxy", "weir"):
            rs = mem.get(t, [])
            if not rs:
                continue
            ok = [r for r in rs if "error" not in r]
            w(f"| {TARGET_TITLES[t]} | {fmt(median([r['rss_before_kib'] / 1024 for r in ok]), 1)} | "
              f"{fmt(median([r['rss_with_conns_kib'] / 1024 for r in ok]), 1)} | "
              f"{fmt(median([r['per_conn_kib'] for r in ok]), 2)} "
              f"({fmt(min((r['per_conn_kib'] for r in ok), default=None), 2)}–{fmt(max((r['per_conn_kib'] for r in ok), default=None), 2)}) | "
              f"{fmt(median([r['alive_at_end'] for r in ok]))} of {fmt(median([r['open'] for r in ok]))} | "
              f"{sum(r.get('errors', 0) for r in ok) + len(rs) - len(ok)} |")
        w("")

    if b.callgrind:
        w("### Instructions per request (callgrind)\n")
        w(f"User-space instructions of the proxy process under `valgrind --tool=callgrind --instr-atstart=no`, "
          f"counting switched on after 2,000 warm-up requests, then {a.callgrind_requests:,} requests over 50 "
          f"connections. Independent of the machine's load: Weir's count repeats to ~0.5 %, nginx's to ~1–2 % "
          f"(it depends a little on how many events each epoll_wait returns).\n")
        w("| scenario | nginx instr/req | Weir instr/req | Weir / nginx | Weir plain instr/req (same request) "
          "| Weir / Weir plain |")
        w("| --- | --- | --- | --- | --- | --- |")
        cgf = lambda r: (fmt(r.get("instr_per_req")) if "error" not in r else "failed") if r else "–"
        for sid in dict.fromkeys(r["scenario"] for r in b.callgrind):
            n, wr, wp = cg.get((sid, "nginx"), {}), cg.get((sid, "weir"), {}), cg.get((sid, "weir-plain"), {})
            w(f"| {sid} | {cgf(n)} | {cgf(wr)} | **{ratio(wr.get('instr_per_req'), n.get('instr_per_req'))}** | "
              f"{cgf(wp)} | {ratio(wr.get('instr_per_req'), wp.get('instr_per_req')) if wp else '–'} |")
        w("")
        if (("s2-policies", "weir") in cg) or (("s1-accesslog", "weir") in cg):
            w("s2-policies: Weir with every policy, nginx plain and Weir plain are all sent the s2 request "
              f"(`GET {S2_PATH}` with `Authorization: Bearer …` and `X-Debug`). s1-accesslog: both write their "
              "access log to a file (the count includes Weir's writer task and nginx's buffered writes).\n")
        if a.profiles:
            w("Annotated profiles (top functions, self and inclusive): [profiles/](profiles/).\n")

    if any(s.pending for s in SCENARIOS):
        w("## Pending scenarios\n")
        for s in SCENARIOS:
            if s.pending:
                w(f"- {s.id} ({s.title}): pending: {s.pending}")
        w("")

    w("## Noise log\n")
    w("Every attempt, in order. foreign = CPU time of processes other than the benchmark's as a share of "
      "all CPUs' time during the run; steal = time the hypervisor gave to other guests.\n")
    w("| scenario | target | rep | try | req/s (MiB/s) | foreign % | steal % | status | busiest foreign processes |")
    w("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in b.results:
        w(f"| {r['scenario']} | {r['target']} | {r['rep']} | {r['attempt']} | "
          f"{fmt(r.get('rps')) if r.get('mib_s') is None else '(' + fmt(r['mib_s']) + ')'} | "
          f"{r['foreign_pct']:.2f} | {r['steal_pct']:.2f} | {r['status']}{' (kept)' if r.get('kept') else ''} | "
          f"{', '.join(r.get('top_foreign') or [])} |")
    w("")
    (out / "LATEST.md").write_text("\n".join(L))


def goal_lines(cells, cg) -> list[str]:
    g = []

    def st(*cs):
        bad = [c for c in cs if c["status"] != "clean"]
        return "" if not bad else " — NOISY, rerun on a quiet machine" if any(c["clean"] == 0 for c in bad) \
            else " — partly noisy"
    wi, ni = cg.get(("s1-small", "weir"), {}), cg.get(("s1-small", "nginx"), {})
    if wi.get("instr_per_req") and ni.get("instr_per_req"):
        g.append(f"plain proxy instructions/request ≤ nginx's: Weir {wi['instr_per_req']:,.0f} vs nginx "
                 f"{ni['instr_per_req']:,.0f} = {wi['instr_per_req'] / ni['instr_per_req']:.2f}×")
    wc, nc = cells.get(("s1-small", "weir")), cells.get(("s1-small", "nginx"))
    if wc and nc and wc["rps"] and nc["rps"]:
        g.append(f"requests/s ≥ nginx's: {wc['rps'] / nc['rps']:.2f}× (s1-small){st(wc, nc)}")
    r10, r10k = cells.get(("s3-routes-10", "weir")), cells.get(("s3-routes-10000", "weir"))
    if r10 and r10k and r10["rps"] and r10k["rps"]:
        g.append(f"10,000-service table ≥ 0.95 × 10-service: {r10k['rps'] / r10['rps']:.2f}× (Weir req/s){st(r10, r10k)}")
    c10, c10k = cg.get(("s3-routes-10", "weir"), {}), cg.get(("s3-routes-10000", "weir"), {})
    if c10.get("instr_per_req") and c10k.get("instr_per_req"):
        g.append(f"instructions/request, 10,000 vs 10 services: {c10k['instr_per_req'] / c10['instr_per_req']:.2f}×")
    wf, nf = cells.get(("s7-fixed-rate", "weir")), cells.get(("s7-fixed-rate", "nginx"))
    if wf and nf and wf["p99"] and nf["p99"]:
        g.append(f"p99 at fixed rate ≤ nginx's: {wf['p99']:.0f} µs vs {nf['p99']:.0f} µs = "
                 f"{wf['p99'] / nf['p99']:.2f}×{st(wf, nf)}")
    wp, ww = cells.get(("s2-policies", "weir-plain")), cells.get(("s2-policies", "weir"))
    if wp and ww and wp["rps"] and ww["rps"]:
        line = (f"all-policy scenario ≥ 0.9 × plain (issue 4): Weir with every policy {ww['rps']:,.0f} req/s / "
                f"Weir plain {wp['rps']:,.0f} req/s = {ww['rps'] / wp['rps']:.2f}× (s2-policies, same run, "
                f"interleaved){st(ww, wp)}")
        ci, cp = cg.get(("s2-policies", "weir"), {}), cg.get(("s2-policies", "weir-plain"), {})
        if ci.get("instr_per_req") and cp.get("instr_per_req"):
            line += (f"; instructions/request {ci['instr_per_req']:,.0f} vs {cp['instr_per_req']:,.0f} = "
                     f"{ci['instr_per_req'] / cp['instr_per_req']:.2f}×")
        g.append(line)
    elif ("s2-policies", "weir") in cg and ("s2-policies", "weir-plain") in cg:
        ci, cp = cg[("s2-policies", "weir")], cg[("s2-policies", "weir-plain")]
        if ci.get("instr_per_req") and cp.get("instr_per_req"):
            g.append(f"all-policy scenario ≥ 0.9 × plain (issue 4): req/s not measured in this run; "
                     f"instructions/request with every policy {ci['instr_per_req']:,.0f} vs plain "
                     f"{cp['instr_per_req']:,.0f} = {ci['instr_per_req'] / cp['instr_per_req']:.2f}×")
    wr = cells.get(("s2-policies", "weir-redis"))
    if ww and wr and ww["rps"] and wr["rps"]:
        g.append(f"shared limiter on Redis ≥ 0.9 × per-process (issue 14): {wr['rps']:,.0f} req/s / "
                 f"{ww['rps']:,.0f} req/s = {wr['rps'] / ww['rps']:.2f}× (s2-policies, same run){st(wr, ww)}")
    # Issue 3's closing note: through the gateway vs direct, same run.
    tw, td = cells.get(("s6-tcp", "weir")), cells.get(("s6-tcp", "direct"))
    if tw and td and tw["mib_s"] and td["mib_s"]:
        th = cells.get(("s6-tcp", "haproxy"))
        g.append(f"TCP through Weir vs direct (issue 3): {tw['mib_s']:,.0f} vs {td['mib_s']:,.0f} MiB/s = "
                 f"{tw['mib_s'] / td['mib_s']:.2f}×"
                 + (f"; vs HAProxy mode tcp {th['mib_s']:,.0f} MiB/s = {tw['mib_s'] / th['mib_s']:.2f}×"
                    if th and th["mib_s"] else "")
                 + (f"; Weir CPU {tw['cpu_s_per_gib']:.3f} s/GiB" if tw.get("cpu_s_per_gib") else "")
                 + st(tw, td))
    gw, gd = cells.get(("s6-grpc", "weir")), cells.get(("s6-grpc", "direct"))
    if gw and gd and gw["rps"] and gd["rps"]:
        gr = cells.get(("s6-grpc", "weir-routed"))
        g.append(f"unary gRPC through Weir vs direct (issue 3): {gw['rps']:,.0f} vs {gd['rps']:,.0f} calls/s = "
                 f"{gw['rps'] / gd['rps']:.2f}× (own port)"
                 + (f", {gr['rps'] / gd['rps']:.2f}× (routed by prefix)" if gr and gr["rps"] else "")
                 + st(gw, gd))
    return g


def machine_meta(b: Bench) -> dict:
    def cmd(argv):
        try:
            r = subprocess.run(argv, capture_output=True, text=True, timeout=10)
            return (r.stdout + r.stderr).strip().splitlines()[0]
        except Exception:
            return "?"
    cpu = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    git = cmd(["git", "-C", str(REPO), "describe", "--always", "--dirty"])
    tools = "; ".join([cmd(["nginx", "-v"]).replace("nginx version: ", ""),
                       cmd(["haproxy", "-v"]).split(" - ")[0],
                       cmd(["wrk", "--version"]).split(" [")[0],
                       "h2load (nghttp2 " + cmd(["dpkg-query", "-W", "-f=${Version}", "nghttp2-client"]) + ")",
                       cmd(["valgrind", "--version"])])
    return {"date": b.started.strftime("%Y-%m-%d %H:%M UTC"), "git": git, "weir_sha": b.weir_sha,
            "weir_role": " ".join(b.weir_role), "cpu": cpu, "ncpu": NCPU, "kernel": platform.release(),
            "tools": tools, "nofile": nofile_limit()}


# --------------------------------------------------------------------------

def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--smoke", action="store_true", help="~1 s per run, one repetition: proves the harness works")
    p.add_argument("--only", type=lambda s: s.split(","), help="scenario id prefixes, e.g. s1,s7")
    p.add_argument("--weir", default=os.environ.get("WEIR_BIN"), help="weir binary (default: release build)")
    p.add_argument("--loadgen", default=os.environ.get("WEIR_LOADGEN"))
    p.add_argument("--out", type=Path, help="report directory (default bench/results, smoke: bench/results/smoke)")
    p.add_argument("--reps", type=int)
    p.add_argument("--duration", type=float, help="seconds per measured run")
    p.add_argument("--warmup", type=float, help="seconds of warm-up per target and scenario")
    p.add_argument("--max-foreign", type=float, default=2.0, help="discard runs above this foreign CPU load, %%")
    p.add_argument("--retries", type=int, help="retries of a noisy run")
    p.add_argument("--max-total-retries", type=int, default=30, help="retry budget for the whole bench")
    p.add_argument("--quiet-wait", type=float, help="seconds to wait for a quiet machine before each run")
    p.add_argument("--idle-conns", type=int, help="idle connections in s8")
    p.add_argument("--mem-reps", type=int)
    p.add_argument("--callgrind-requests", type=int)
    p.add_argument("--callgrind-scenarios", type=lambda s: s.split(","))
    p.add_argument("--no-callgrind", action="store_true")
    p.add_argument("--callgrind-only", action="store_true",
                   help="only the instruction counts (quick, and independent of the machine's load)")
    p.add_argument("--no-profiles", dest="profiles", action="store_false")
    p.add_argument("--keep-work", action="store_true", help="keep configs, logs and callgrind dumps")
    p.add_argument("--render", type=Path, metavar="LATEST.json",
                   help="only rewrite the Markdown report from a JSON file of an earlier run")
    a = p.parse_args()
    if a.render:
        raw = json.loads(a.render.read_text())
        st = argparse.Namespace(**raw["settings"])
        b = argparse.Namespace(a=st, results=raw["runs"], callgrind=raw["callgrind"], memory=raw["memory"],
                               scenario_notes=raw.get("notes", {}))
        write_report(b, a.render.parent, meta=raw["meta"])
        return 0
    smoke = a.smoke
    defaults = dict(reps=1 if smoke else 3, duration=1.0 if smoke else 10.0, warmup=0.5 if smoke else 2.0,
                    retries=1 if smoke else 3, quiet_wait=2.0 if smoke else 15.0,
                    idle_conns=2000 if smoke else 10000, mem_reps=1 if smoke else 3,
                    callgrind_requests=2000 if smoke else 20000,
                    callgrind_scenarios=["s1-small", "s2-policies"] if smoke else
                    ["s1-small", "s1-16k", "s1-accesslog", "s2-policies", "s3-routes-10", "s3-routes-10000"],
                    # Only a complete `make bench` replaces results/LATEST.md.
                    out=HERE / "results" / ("smoke" if smoke else
                                            "partial" if a.only or a.callgrind_only or a.no_callgrind else ""))
    for k, v in defaults.items():
        if getattr(a, k) is None:
            setattr(a, k, v)
    if smoke:
        a.profiles = False
    if not a.weir:
        a.weir = str(Path(os.environ.get("CARGO_TARGET_DIR", Path.home() / ".cache/weir-target")) / "release/weir")
    if not a.loadgen:
        a.loadgen = str(Path(os.environ.get("WEIR_BENCH_TARGET_DIR", Path.home() / ".cache/weir-bench-target"))
                        / "release/weir-loadgen")
    for f in (a.weir, a.loadgen, str(Path(a.loadgen).parent / "weir-grpc-echo")):
        if not os.access(f, os.X_OK):
            sys.exit(f"missing {f}: run through bench/run.sh (make bench), which builds it")
    for tool in ("wrk", "h2load", "nginx", "haproxy", "taskset", "valgrind", "callgrind_control", "openssl"):
        if not shutil.which(tool):
            sys.exit(f"missing {tool}: run bench/setup.sh")
    if NCPU < 2:
        sys.exit("needs at least 2 CPUs (proxy on one, client and upstream on the other)")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _on_signal)
    b = Bench(a)
    t0 = time.monotonic()
    failed = None
    try:
        b.run()
    except BaseException as e:  # report what was measured, then fail
        failed = e
        log(f"bench stopped: {type(e).__name__}: {e}")
    finally:
        cleanup()
    if b.results or b.memory or b.callgrind:
        write_report(b, a.out)
        log(f"report: {a.out / 'LATEST.md'} ({time.monotonic() - t0:.0f} s)")
    if failed is None and not a.keep_work:
        shutil.rmtree(b.work, ignore_errors=True)
        return 0
    if failed is None:
        log(f"work dir kept (--keep-work): {b.work}")
        return 0
    log(f"work dir kept for inspection: {b.work}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
