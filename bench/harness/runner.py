"""The run: `Bench` holds one benchmark's state and results, runs each
scenario's kind of measurement and keeps every attempt for the report.

* Runs are interleaved (direct, nginx, haproxy, weir, direct, ...: the order
  of targets.TARGET_ORDER, once per repetition) so slow drifts of the machine
  hit every target alike; each cell is the median of the repetitions with
  min-max.
* measured() wraps every run: it waits (bounded) for a quiet machine, takes
  the foreign load of the run (procs.Window) and the CPU time of the server
  and the upstream, and discards a run above --max-foreign (2 %), retrying a
  bounded number of times; a cell with no clean run is reported as noisy.
* The kinds of scenario are methods: throughput() (wrk, h2load, TCP
  streams), fixed_rate(), idle_memory() and instructions() (callgrind).
"""

from __future__ import annotations

import datetime as dt
import glob
import json
import os
import tempfile
import time
from pathlib import Path

from .callgrind import callgrind_control, callgrind_total, save_annotations, valgrind_pid
from .procs import CLK_TCK, NCPU, Window, foreign_load_now, log, nofile_limit, stop
from .report import aggregate, median
from .scenarios import SCENARIOS, Scenario
from .targets import TARGET_ORDER, Routes, Server, Servers, make_cert
from .tools import GRPC_PATH, Tools, grpc_body, measuring_log, read_line


class Bench:
    """One benchmark: the parsed flags (`a`), a fresh work directory, every
    attempt of every run (`results`), callgrind and memory records, and the
    notes the report prints under a scenario's title."""

    def __init__(self, args):
        self.a = args
        self.work = Path(tempfile.mkdtemp(prefix="weir-bench-"))
        self.work.chmod(0o755)  # nginx workers run as nobody and serve 16k.bin from here
        self.results: list[dict] = []  # every attempt of every run
        self.callgrind: list[dict] = []
        self.memory: list[dict] = []
        self.retries_left = args.max_total_retries
        self.scenario_notes: dict[str, str] = {}
        self.started = dt.datetime.now(dt.timezone.utc)
        self.tools = Tools(self.work, Path(args.loadgen))
        self.servers = Servers(Path(args.weir), self.work, self.tools, self.scenario_notes)

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

    # ---- kinds of scenario ---------------------------------------------------------

    def throughput(self, scn: Scenario, targets: dict[str, Server], upstream: Server) -> None:
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
                fn = lambda: self.tools.tcp_send(server.port, duration, scn.conns)
            elif scn.tool == "wrk":
                port = server.tls_port if scn.tls else server.port
                fn = lambda: self.tools.wrk(port, duration, scn.conns, scn.path, headers_for(server),
                                            routes_file, https=scn.tls)
            elif scn.grpc:
                fn = lambda: self.tools.h2load(server.port, duration, scn.conns, scn.streams, path=GRPC_PATH,
                                               data=body, headers=grpc_headers)
            elif scn.tls:
                fn = lambda: self.tools.h2load(server.tls_port, duration, scn.conns, scn.streams, https=True)
            else:
                fn = lambda: self.tools.h2load(server.h2c_port, duration, scn.conns, scn.streams)
            if scn.grpc:
                return self.tools.counting_grpc_calls(fn, targets["direct"].port, scn.conns * scn.streams)
            if server.log_file:
                return measuring_log(fn, server.log_file)
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

    def fixed_rate(self, scn: Scenario, targets: dict[str, Server], upstream: Server) -> None:
        a = self.a
        nginx_max = self.median_rps("s1-small", "nginx")
        s1 = aggregate([r for r in self.results if r["scenario"] == "s1-small"]).get(("s1-small", "nginx"))
        basis = "" if s1 and s1["clean"] else " — measured while the machine was busy, so lower than it should be"
        if nginx_max is None:
            log("  no s1-small nginx result in this run: measuring nginx's maximum first")
            nginx_max = self.tools.wrk(targets["nginx"].port, max(2.0, a.warmup), 50)["rps"]
        rate = max(100.0, round(0.5 * nginx_max, -2))
        self.scenario_notes[scn.id] = (f"fixed rate {rate:.0f} req/s = 50 % of nginx's s1-small maximum "
                                       f"({nginx_max:.0f} req/s{basis})")
        log(f"  fixed rate {rate:.0f} req/s (50 % of nginx-proxy max {nginx_max:.0f})")
        names = [t for t in TARGET_ORDER if t in targets]

        def runner(server: Server, duration: float, warm: float):
            def fn():
                j = self.tools.loadgen_run("rate", server.port,
                                           ["--rate", str(rate), "--conns", str(scn.conns),
                                            "--duration", str(duration), "--warmup", str(warm)],
                                           duration + warm + 30)
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

    def idle_memory(self, scn: Scenario, upstream: Server) -> None:
        """RSS of a fresh proxy before and while it holds N idle keep-alive clients."""
        n = self.a.idle_conns
        if nofile_limit() < n + 500:
            raise RuntimeError(f"open-file limit {nofile_limit()} is too low for {n} connections")
        for rep in range(1, self.a.mem_reps + 1):
            for t in ("nginx", "haproxy", "weir"):
                srv = self.servers.start_proxies(f"mem{rep}", upstream, None, which=(t,))[t]
                rec = {"scenario": scn.id, "target": t, "rep": rep, "conns": n}
                holder = None
                try:
                    self.tools.loadgen_run("count", srv.port, ["--requests", "2000", "--conns", "50"], 60)
                    time.sleep(0.5)
                    rec["rss_before_kib"] = srv.proc.rss_kib()
                    holder = self.tools.hold(srv.port, n)
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

    def instructions(self, scn: Scenario, upstream: Server) -> None:
        """User-space instructions per request under callgrind, Weir and nginx
        (s2: Weir with every policy, nginx plain and Weir plain, all sent the
        same request; s1-accesslog: both writing their access log)."""
        routes = Routes(scn.routes) if scn.routes else None
        targets_file = routes.write_targets(self.work / f"cg-routes-{scn.routes}.txt") if routes else None
        # s2: Weir with the scenario's features and Weir plain (same request).
        s2 = scn.id.startswith("s2-")
        policies, traffic = scn.id == "s2-policies", scn.id == "s2-traffic"
        logs = "accesslog" in scn.setups
        token = None
        # s2: the policy instance first, for the token every target is sent.
        for t in (("weir", "nginx", "weir-plain") if s2 else ("nginx", "weir")):
            out = self.work / f"callgrind.{t}.{scn.id}"
            rec = {"scenario": scn.id, "target": t, "requests": self.a.callgrind_requests}
            srv = None
            log_file = self.work / f"cg-{t}-access.log" if logs else None
            try:
                if t == "nginx":
                    srv = self.servers.start_nginx(f"cg-{t}-{scn.id}", upstream, routes, valgrind_out=out,
                                                   access_log=log_file)
                else:
                    srv = self.servers.start_weir(f"cg-{t}-{scn.id}", upstream, routes, valgrind_out=out,
                                                  policies=policies and t == "weir", access_log=log_file,
                                                  traffic=traffic and t == "weir")
                token = token or srv.token
                req = (["--targets", str(targets_file)] if targets_file else ["--path", scn.path])
                for h in scn.headers + ([f"Authorization: Bearer {token}"] if token else []):
                    req += ["--header", h]
                pid = valgrind_pid(srv.proc)
                # Warm-up passes every route at least once, so per-route upstream
                # pools are filled before counting starts.
                nwarm = max(2000, 2 * scn.routes)
                warm = self.tools.loadgen_run("count", srv.port, ["--requests", str(nwarm), "--conns", "50"] + req, 600)
                if warm["errors"] or warm["non2xx"]:
                    raise RuntimeError(f"warm-up errors: {warm}")
                callgrind_control(["-i", "on"], pid)
                j = self.tools.loadgen_run("count", srv.port, ["--requests", str(self.a.callgrind_requests),
                                                               "--conns", "50"] + req, 1800)
                callgrind_control(["-d"], pid)
                dumps = sorted(glob.glob(f"{out}*"), key=os.path.getmtime)
                if not dumps:
                    raise RuntimeError("callgrind wrote no dump")
                ir = callgrind_total(Path(dumps[-1]))
                rec.update(instructions=ir, instr_per_req=round(ir / j["completed"], 1),
                           completed=j["completed"], errors=j["errors"] + j["non2xx"], dump=dumps[-1])
                if self.a.profiles and scn.id in ("s1-small", "s2-policies", "s2-traffic",
                                                                "s3-routes-10000"):
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

    def run(self) -> None:
        servers = self.servers
        servers.prepare_weir()
        log(f"work dir {self.work}; weir {servers.weir_sha} ({' '.join(servers.weir_role)}); "
            f"{self.a.reps} reps x {self.a.duration}s; max foreign load {self.a.max_foreign}%")
        selected = [s for s in SCENARIOS if self.a.only is None or any(s.id.startswith(o) for o in self.a.only)]
        live = [s for s in selected if not s.pending and not self.a.callgrind_only
                and s.kind in ("throughput", "fixed-rate")]
        if any(s.tls for s in live):
            servers.tls = make_cert(self.work)
        if any(s.tool == "tcp" for s in live) and not servers.stream_module:
            log("  nginx stream module missing (libnginx-mod-stream): s6-tcp without nginx")
        servers.upstream = upstream = servers.start_upstream()
        for i, scn in enumerate(live):
            log(f"{scn.id}: {scn.title}")
            try:
                targets = servers.targets_for(scn.setups, scn.pick)
            except Exception as e:
                log(f"  {scn.id} skipped: could not start its servers: {type(e).__name__}: {e}")
                self.scenario_notes[scn.id] = f"not measured: its servers failed to start ({e})"
                targets = None
            if targets is not None:
                if scn.tls and servers.tls_note:
                    self.scenario_notes[scn.id] = servers.tls_note
                if scn.kind == "fixed-rate":
                    self.fixed_rate(scn, targets, upstream)
                else:
                    self.throughput(scn, targets, upstream)
            later = {k for s in live[i + 1:] for k in s.setups}
            for key in [k for k in servers.setups if k not in later]:
                servers.stop_setup(key)
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
