"""The load clients, each driven for one run and read into a dict of numbers
(`requests`, `rps`, `errors`, `latency_us`, ... : the fields of a run in
LATEST.json): wrk (HTTP/1.1, with the scripts in bench/lua/), h2load (HTTP/2,
HTTPS, unary gRPC), and bench/loadgen's weir-loadgen (fixed rate, fixed count,
idle connections, TCP streams) and weir-grpc-echo (the gRPC check client).

Every client runs on CLIENT_CPU, beside the upstream and away from the proxy.
"""

from __future__ import annotations

import json
import math
import re
import selectors
import subprocess
import time
from pathlib import Path

from . import BENCH_DIR
from .procs import CLIENT_CPU, child_setup

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


def run_tool(argv: list[str], timeout: float) -> str:
    r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, preexec_fn=child_setup)
    if r.returncode != 0:
        raise RuntimeError(f"{argv[3] if argv[0] == 'taskset' else argv[0]} exited {r.returncode}: "
                           f"{(r.stderr or r.stdout)[-1500:]}")
    return r.stdout


def read_line(p: subprocess.Popen, timeout: float) -> str:
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


def measuring_log(fn, path: Path):
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


class Tools:
    """The clients of one run; scripts and h2load's log go to `work`."""

    def __init__(self, work: Path, loadgen: Path):
        self.work = work
        self.loadgen = loadgen
        self.grpc_echo = loadgen.parent / "weir-grpc-echo"

    def wrk(self, port: int, duration: float, conns: int, path: str = "/",
            headers: list[str] = (), routes_file: Path | None = None, https: bool = False) -> dict:
        script = self.work / ("wrk-routes.lua" if routes_file else "wrk-report.lua")
        if not script.exists():
            parts = (["routes.lua"] if routes_file else []) + ["report.lua"]
            script.write_text("\n".join((BENCH_DIR / "lua" / p).read_text() for p in parts))
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

    def grpc_tool(self, mode: str, port: int, extra: list[str] = (), timeout: float = 30.0) -> dict:
        argv = ["taskset", "-c", CLIENT_CPU, str(self.grpc_echo), mode, "--addr", f"127.0.0.1:{port}"] + list(extra)
        out = run_tool(argv, timeout)
        return json.loads(out.strip().splitlines()[-1])

    def hold(self, port: int, conns: int) -> subprocess.Popen:
        """weir-loadgen hold: opens `conns` keep-alive connections (one request
        each), prints a JSON line, holds them until its stdin is closed (at
        most 120 s) and prints how many the server kept open."""
        return subprocess.Popen(
            ["taskset", "-c", CLIENT_CPU, str(self.loadgen), "hold", "--addr",
             f"127.0.0.1:{port}", "--conns", str(conns), "--max-hold", "120"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
            start_new_session=True, preexec_fn=child_setup)

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
