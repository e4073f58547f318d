"""Instruction counts under callgrind: how a proxy is started under valgrind,
how counting is switched on and dumped, and how a dump is read (its total,
and the per-function summaries of bench/cgsum.py and callgrind_annotate kept
in results/profiles/). The scenario kind that uses them is
runner.Bench.instructions().

Instruction counts do not depend on the machine's load: they are the number
to decide on; req/s only as a same-run ratio.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from . import BENCH_DIR
from .procs import Proc


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
    r = subprocess.run([sys.executable, str(BENCH_DIR / "cgsum.py"), str(dump), "--requests", str(requests),
                        "--top", "50"], capture_output=True, text=True, timeout=300)
    Path(f"{prefix}.summary.txt").write_text(r.stdout + r.stderr)
    for mode in ("self", "inclusive"):
        r = subprocess.run(["callgrind_annotate", f"--inclusive={'yes' if mode == 'inclusive' else 'no'}",
                            "--threshold=99", str(dump)], capture_output=True, text=True, timeout=300)
        lines = r.stdout.splitlines()
        # Keep the head (totals and the top functions), cut very long symbol lines.
        keep = [ln if len(ln) < 400 else ln[:400] + " ..." for ln in lines[:120]]
        Path(f"{prefix}.{mode}.txt").write_text("\n".join(keep) + "\n")
