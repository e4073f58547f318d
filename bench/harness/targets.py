"""What is measured, configured and started: the upstream (nginx `return 200`),
nginx, HAProxy and Weir as proxies, the TCP sink and gRPC echo server of s6,
redis for the shared limiter, and the sets of them that scenarios share.

* Every server listens on 127.0.0.1 on a port the kernel just handed out
  (free_port()); nothing is hard-coded. Proxies get one worker pinned to
  PROXY_CPU, the upstream and s6's servers run on CLIENT_CPU.
* nginx and HAProxy configurations are the templates in bench/conf/ with
  @@PLACEHOLDERS@@ filled in (fill()); Weir's is YAML written by
  Servers.weir_yaml() and loaded with `weir apply`.
* A server is ready when a real request through it succeeds (wait_ready and
  its kin), not when its port opens.
"""

from __future__ import annotations

import base64
import glob
import hashlib
import http.client
import json
import os
import random
import re
import shutil
import socket
import ssl
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from . import BENCH_DIR
from .callgrind import valgrind_argv
from .procs import CLIENT_CPU, PROXY_CPU, Proc, log, nofile_limit, start, stop
from .tools import GRPC_PAYLOAD, Tools

POOL = 512  # idle upstream connections kept: nginx `keepalive`, Weir `max_idle_per_node`
# The targets of a scenario, in the order each repetition runs them.
TARGET_ORDER = ["direct", "nginx", "haproxy", "weir-plain", "weir", "weir-redis", "weir-routed"]


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
    text = (BENCH_DIR / "conf" / template).read_text()
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


# --------------------------------------------------------------------------
# s2-traffic: the traffic features on (issue 11)
# --------------------------------------------------------------------------

CANARY_PERCENT = 5
CANARY_FORCE = "X-Bench-Canary"  # a request with this header goes to the canary


def traffic_yaml(canary_port: int) -> str:
    """The plain service with a 95/5 split to a canary service (its own
    upstream: the upstream's second port, so the check can tell the sides
    apart), a retry policy on both upstreams, and response compression that
    the bench client never asks for (no Accept-Encoding): the negotiation
    runs on every request, the compression never does."""
    retry = ("      retry:\n        attempts: 3\n"
             "        retry_on: [connect_failure, reset, timeout, gateway_error]\n"
             "        budget: { percent: 20 }\n")
    return (f"    split:\n      targets: [{{ service: bench-canary, percent: {CANARY_PERCENT} }}]\n"
            f"      force: [{{ header: {CANARY_FORCE}, service: bench-canary }}]\n"
            "    compression: { min_size: 1024, content_types: [application/octet-stream, text/*] }\n", retry,
            "  - name: bench-canary\n    match: { prefix: /canary-only/ }\n    upstream:\n"
            f'      nodes: [{{ addr: "127.0.0.1:{canary_port}" }}]\n'
            f"      max_idle_per_node: {POOL}\n      timeouts: {{ idle: 300s }}\n" + retry)


def weir_token(port: int) -> str:
    """A bearer token from Weir's own token endpoint (Basic auth, as the docs show)."""
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
    """Ready when a TLS request on `port` answers 200."""
    def probe():
        info = tls_probe(port, ["http/1.1"])
        if info.get("status") != 200:
            raise RuntimeError(str(info))
    wait_until(proc, f"HTTPS on port {port}", probe, timeout)


# --------------------------------------------------------------------------
# s6: readiness of TCP and gRPC
# --------------------------------------------------------------------------

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


def wait_tcp_ready(tools: Tools, proc: Proc, port: int, timeout: float) -> None:
    """Ready when 1 MiB streamed through `port` is confirmed by the sink."""
    def probe():
        j = tools.loadgen_run("tcp-send", port, ["--streams", "1", "--mib", "1", "--duration", "0"], 30)
        if j["errors"] or j["bytes"] != 1048576:
            raise RuntimeError(str(j))
    wait_until(proc, f"TCP port {port}", probe, timeout)


def wait_grpc_ready(tools: Tools, proc: Proc, port: int, timeout: float) -> None:
    """Ready when unary calls through `port` come back OK with their payload."""
    wait_until(proc, f"gRPC on port {port}",
               lambda: tools.grpc_tool("check", port, ["--calls", "5", "--payload", str(GRPC_PAYLOAD)]), timeout)


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
    canary_port: int | None = None  # the upstream's second port (s2-traffic's canary)
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


class Servers:
    """Starts the servers of one run in `work`, keeps the sets of them
    (`setups`) and the upstream every set shares. Notes for the report (what
    s2's policy check proved) go to `notes`."""

    def __init__(self, weir_src: Path, work: Path, tools: Tools, notes: dict[str, str]):
        self.weir_src = weir_src
        self.work = work
        self.tools = tools
        self.notes = notes
        self.weir = work / "weir"
        self.weir_role: list[str] = []
        self.weir_sha = ""
        self.tls: TlsCert | None = None  # made at start when an HTTPS scenario runs
        self.tls_note: str | None = None
        self.stream_module = next((m for m in ("/usr/lib/nginx/modules/ngx_stream_module.so",)
                                   if os.path.exists(m)), None)
        self.upstream: Server | None = None
        self.setups: dict[str, dict[str, Server]] = {}

    # ---- Weir ---------------------------------------------------------------

    def prepare_weir(self) -> None:
        # A private copy: a rebuild during the run must not change the binary.
        shutil.copy2(self.weir_src, self.weir)
        r = subprocess.run([str(self.weir), "proxy", "--help"], capture_output=True)
        self.weir_role = ["proxy"] if r.returncode == 0 else ["serve"]
        self.weir_sha = hashlib.sha256(self.weir.read_bytes()).hexdigest()[:12]

    def weir_yaml(self, upstream: Server, routes: Routes | None, policies: bool = False,
                  tcp: tuple[int, int] | None = None, grpc: tuple[int, int] | None = None,
                  tls: "TlsCert | None" = None, traffic: bool = False) -> str:
        node = f'      nodes: [{{ addr: "127.0.0.1:{upstream.port}" }}]\n' \
               f"      max_idle_per_node: {POOL}\n" \
               f"      timeouts: {{ idle: 300s }}\n"
        out = []
        if routes is None:
            out.append("services:\n  - name: bench\n    match: { prefix: / }\n")
            if policies:
                out.append(POLICIES_YAML)
            if traffic:
                head, retry, canary = traffic_yaml(upstream.canary_port)
                out.append(head + "    upstream:\n" + node + retry + canary)
            else:
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
                   redis: str | None = None, traffic: bool = False) -> Server:
        """Weir with a plain prefix-/ service (or a route table); optionally every
        policy on (s2), a certificate and the HTTPS listener (s4), a kind: tcp
        service to `tcp_sink` (s6-tcp; Server.port is then the TCP port), gRPC
        services to `grpc_server` (s6-grpc; Server.port is the own gRPC port,
        h2c_port the main port where the gRPC service is routed by prefix),
        or an access log file (s1-accesslog); limits shared in `redis` (s2, the
        `[cluster] redis` URL); the traffic features on (s2-traffic)."""
        db = self.work / f"{name}.db"
        yaml = self.work / f"{name}.yaml"
        tcp = (free_port(), tcp_sink.port) if tcp_sink else None
        grpc = (free_port(), grpc_server.port) if grpc_server else None
        yaml.write_text(self.weir_yaml(upstream, routes, policies, tcp, grpc, tls, traffic))
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
                   WEIR_PROXY_LISTENER_DRAIN_GRACE="1s",
                   # Every bench client is 127.0.0.1: the per-address cap
                   # (1,000 by default) would reset s8's 10,000 idle
                   # connections; nginx and HAProxy have no such cap here.
                   WEIR_PROXY_MAX_CONNECTIONS="50000",
                   WEIR_PROXY_MAX_CONNECTIONS_PER_IP="50000")
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
            wait_tcp_ready(self.tools, proc, tcp[0], timeout)
            srv.port = srv.h2c_port = tcp[0]
        if grpc:
            wait_grpc_ready(self.tools, proc, grpc[0], timeout)
            wait_grpc_ready(self.tools, proc, port, timeout)
            srv.port = grpc[0]
        return srv

    # ---- nginx / HAProxy ---------------------------------------------------------

    def start_upstream(self) -> Server:
        (self.work / "16k.bin").write_bytes(b"x" * 16384)
        (self.work / "16k.bin").chmod(0o644)
        port, h2c, canary = free_port(), free_port(), free_port()
        tls_port = free_port() if self.tls else None
        # The direct HTTPS baseline: the upstream itself on TLS 1.3 (s4-https).
        tls = "" if not self.tls else (
            f"listen 127.0.0.1:{tls_port} ssl http2;\n        "
            f"ssl_certificate {self.tls.cert};\n        ssl_certificate_key {self.tls.key};\n        "
            "ssl_protocols TLSv1.3;")
        conf = self.work / "upstream.conf"
        conf.write_text(fill("nginx-upstream.conf", work=self.work, name="upstream", port=port,
                             h2c_port=h2c, canary_port=canary, nofile=nofile_limit(),
                             worker_connections=nofile_limit() - 100, tls=tls))
        proc = start("upstream", ["nginx", "-e", str(self.work / "upstream.err"), "-c", str(conf),
                                  "-p", str(self.work)], self.work, cpu=CLIENT_CPU)
        wait_ready(proc, port)
        wait_ready(proc, port, "/16k")
        if tls_port:
            wait_tls_ready(proc, tls_port, 15.0)
        wait_ready(proc, canary)
        return Server("upstream", proc, port, h2c, tls_port=tls_port, canary_port=canary)

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
        sink_proc = start("tcp-sink", [str(self.tools.loadgen), "tcp-sink", "--listen", f"127.0.0.1:{sport}"],
                          self.work, cpu=CLIENT_CPU)
        sink = Server("tcp-sink", sink_proc, sport, sport)
        wait_tcp_ready(self.tools, sink_proc, sport, 15.0)
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
            wait_tcp_ready(self.tools, proc, port, 15.0)
            out["nginx"] = Server("nginx-tcp", proc, port, port)
        port = free_port()
        conf = self.work / "haproxy-tcp.cfg"
        conf.write_text(fill("haproxy-tcp.cfg", work=self.work, name="haproxy-tcp", port=port, upstream_port=sport))
        proc = start("haproxy-tcp", ["haproxy", "-db", "-f", str(conf)], self.work, cpu=PROXY_CPU)
        wait_tcp_ready(self.tools, proc, port, 15.0)
        out["haproxy"] = Server("haproxy-tcp", proc, port, port)
        out["weir"] = self.start_weir("weir-tcp", self.upstream, None, tcp_sink=sink)
        return out

    def start_grpc(self) -> dict[str, Server]:
        """The gRPC echo server (on the client's CPU), nginx grpc_pass, HAProxy
        (h2 to the server) and Weir: kind: grpc on its own port ("weir") and
        routed by prefix on the main port ("weir-routed"), one process."""
        gport = free_port()
        gproc = start("grpc-echo", [str(self.tools.grpc_echo), "serve", "--listen", f"127.0.0.1:{gport}"],
                      self.work, cpu=CLIENT_CPU)
        wait_grpc_ready(self.tools, gproc, gport, 15.0)
        echo = Server("grpc-echo", gproc, gport, gport)
        out = {"direct": echo}
        common = dict(work=self.work, nofile=nofile_limit(), worker_connections=nofile_limit() - 100,
                      upstream_port=gport)
        port = free_port()
        conf = self.work / "nginx-grpc.conf"
        conf.write_text(fill("nginx-grpc.conf", name="nginx-grpc", port=port, pool=POOL, **common))
        proc = start("nginx-grpc", ["nginx", "-e", str(self.work / "nginx-grpc.err"), "-c", str(conf),
                                    "-p", str(self.work)], self.work, cpu=PROXY_CPU)
        wait_grpc_ready(self.tools, proc, port, 15.0)
        out["nginx"] = Server("nginx-grpc", proc, port, port)
        port = free_port()
        conf = self.work / "haproxy-grpc.cfg"
        conf.write_text(fill("haproxy-grpc.cfg", work=self.work, name="haproxy-grpc", port=port,
                             upstream_port=gport))
        proc = start("haproxy-grpc", ["haproxy", "-db", "-f", str(conf)], self.work, cpu=PROXY_CPU)
        wait_grpc_ready(self.tools, proc, port, 15.0)
        out["haproxy"] = Server("haproxy-grpc", proc, port, port)
        w = self.start_weir("weir-grpc", self.upstream, None, grpc_server=echo)
        out["weir"] = w
        out["weir-routed"] = Server("weir-grpc-routed", w.proc, w.h2c_port, w.h2c_port)
        return out

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
        if key == "traffic":
            w = self.start_weir("weir-traffic", up, None, traffic=True)
            self.check_traffic(w)
            return {"weir": w}
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

    def targets_for(self, setups: tuple[str, ...], pick: dict[str, tuple[str, str]] | None) -> dict[str, Server]:
        """A scenario's targets (see Scenario.setups and .pick), starting the
        sets of servers it needs that are not running yet."""
        for key in setups:
            if key not in self.setups:
                log(f"  starting servers: {key}")
                self.setups[key] = self.start_setup(key)
        if pick:
            return {t: self.setups[k][name] for t, (k, name) in pick.items()}
        return {t: srv for key in setups for t, srv in self.setups[key].items()}

    def check_traffic(self, w: Server) -> None:
        """Before measuring s2-traffic, prove the features are on: the forced
        request reaches the canary's port, an ordinary one the main port,
        the canary takes about its share of 400 requests, and a client that
        asks for gzip gets the 16 KiB body compressed."""
        up = self.upstream
        st, body = http_request(w.port, "/port/x", {CANARY_FORCE: "1"})
        if st != 200 or body != str(up.canary_port).encode():
            raise RuntimeError(f"s2-traffic: forced request got {st} {body[:100]!r}, want the canary's port")
        ports = [http_request(w.port, "/port/x", {})[1] for _ in range(400)]
        canary = ports.count(str(up.canary_port).encode())
        main = ports.count(str(up.port).encode())
        if canary + main != 400 or not 8 <= canary <= 32:
            raise RuntimeError(f"s2-traffic: of 400 requests {canary} reached the canary and {main} the main "
                               f"port; want about {CANARY_PERCENT} % on the canary")
        c = http.client.HTTPConnection("127.0.0.1", w.port, timeout=10)
        try:
            c.request("GET", "/16k", headers={"Accept-Encoding": "gzip"})
            r = c.getresponse()
            r.read()
            enc = r.getheader("Content-Encoding")
        finally:
            c.close()
        if r.status != 200 or enc != "gzip":
            raise RuntimeError(f"s2-traffic: /16k with Accept-Encoding: gzip got {r.status}, "
                               f"Content-Encoding {enc!r}; want gzip")
        self.notes["s2-traffic"] = (
            f"Weir's service: `split` {100 - CANARY_PERCENT}/{CANARY_PERCENT} to a canary service (its own "
            f"upstream: the upstream's second port) with a `force` rule on `{CANARY_FORCE}`, `upstream.retry` "
            f"(3 attempts on connect_failure, reset, timeout, gateway_error; budget 20 %) on both upstreams, "
            f"and `compression` (min 1 KiB, the upstream's media types) that the clients never ask for (no Accept-Encoding). Checked "
            f"before the runs: a forced request reached the canary; {canary} of 400 requests went to the "
            f"canary; `Accept-Encoding: gzip` got the 16 KiB body gzipped. Every target gets `GET /`; "
            f"Weir plain is the s1 configuration; any non-2xx response makes a run an error")

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
        self.notes["s2-policies"] = (
            f"Weir's service: `access.ip_allow` with {len(allow_list())} CIDRs (127.0.0.0/8 among them), "
            f"`access.auth` (tenant `{BENCH_APP}`, its own `ip_allow` 127.0.0.0/8; token from Weir's "
            f"`POST /oauth/tokens`, sent as `Authorization: Bearer` by every client), `limits` service_qps and "
            f"client_ip_qps {HIGH_QPS:,} and tenant qps {HIGH_QPS:,} (nothing limited), request_headers "
            f"set X-Gateway + remove X-Debug (the client sends X-Debug), rewrite `^/v1/(.*)` -> `/$1`; "
            f"checked before the runs: no token -> 401, and the upstream received `{want.decode()}` "
            f"(rewritten path|X-Gateway|X-Debug|X-Weir-App-Id). Every target gets the same request "
            f"(`GET {S2_PATH}` with both headers); Weir plain is the s1 configuration; any non-2xx "
            f"response makes a run an error")
