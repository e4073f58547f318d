"""The scenarios: SCENARIOS below, run and reported in this order.

A scenario is data: what the client sends (`tool`, `conns`, `streams`,
`path`, `headers`, ...) and to which set of servers (`setups`, started by
targets.Servers.start_setup()). Add one by appending to SCENARIOS; a new
kind of measurement is a method on runner.Bench and a branch in Bench.run().
docs/performance.md#adding-a-scenario has the details.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .targets import S2_PATH
from .tools import GRPC_PAYLOAD


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
    # Which set of servers it runs against (Servers.start_setup), and for
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
    Scenario("s2-traffic", "s1 with the traffic features on: a 95/5 split to a canary service, retries on "
             "both upstreams, compression configured but not asked for", "throughput",
             setups=("plain", "traffic"),
             pick={"nginx": ("plain", "nginx"), "weir-plain": ("plain", "weir"), "weir": ("traffic", "weir")},
             ratios=[("Weir traffic / Weir plain", "weir", "weir-plain")]),
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
