"""The benchmark harness behind bench/run.py, one module a concern.

Each imports only modules above it in this list, so there are no cycles:

* `procs`     — starting and stopping every process (own session, parent-death
                signal, cleanup), CPU pinning, /proc accounting and the
                foreign-load measurement of a run.
* `tools`     — the load clients: wrk, h2load, weir-loadgen and the gRPC check
                client, each run once and turned into a dict of numbers.
* `callgrind` — running a proxy under callgrind and reading its counts.
* `targets`   — configuring and starting what is measured: the upstream,
                nginx, HAProxy, Weir (`Servers.weir_yaml()`), the TCP sink, the
                gRPC echo server, redis, and the sets of them scenarios share.
* `scenarios` — the `SCENARIOS` list: what each scenario sends, to which set.
* `report`    — medians per cell, LATEST.md and LATEST.json.
* `runner`    — `Bench`: measured runs with the foreign-load check, the kinds
                of scenario (throughput, fixed rate, idle memory, instruction
                counts) and the order of the whole run.
"""

from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent.parent  # bench/: conf/, lua/, cgsum.py, results/
REPO = BENCH_DIR.parent
