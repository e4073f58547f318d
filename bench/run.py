#!/usr/bin/env python3
"""Weir benchmark harness (issue 7): Weir against nginx, HAProxy and the
upstream hit directly, in the same run, interleaved, reported as ratios.

Run it through `make bench` / `make bench-smoke` (bench/run.sh installs the
tools and builds Weir and bench/loadgen first). docs/performance.md explains
what each scenario and metric means and how to read the report.

This file is the command line; the harness is the package bench/harness/
(its __init__ lists the modules): processes and foreign-load measurement in
procs, load clients in tools, instruction counts in callgrind, servers and
their configurations in targets, the SCENARIOS list in scenarios, the run in
runner, the report in report.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import signal
import sys
import time
from pathlib import Path

from harness import BENCH_DIR
from harness.procs import NCPU, cleanup, log, on_signal
from harness.report import write_report
from harness.runner import Bench


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
                    ["s1-small", "s1-16k", "s1-accesslog", "s2-policies", "s2-traffic", "s3-routes-10",
                     "s3-routes-10000"],
                    # Only a complete `make bench` replaces results/LATEST.md.
                    out=BENCH_DIR / "results" / ("smoke" if smoke else
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
        signal.signal(sig, on_signal)
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
