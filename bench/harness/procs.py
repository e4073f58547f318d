"""Processes and CPUs: starting, pinning and stopping everything the bench
runs, and measuring the load of everything it does not.

* Every process is started in its own session with PR_SET_PDEATHSIG, and
  registered in PROCS; bench/run.py stops them all in a `finally` (also on
  SIGINT/SIGTERM/SIGHUP, which on_signal() turns into SystemExit), so a failed
  or interrupted run leaves nothing behind.
* Proxies run with one worker pinned to PROXY_CPU; the load client and the
  upstream share CLIENT_CPU (as bench/quick-compare.sh), so the proxy is the
  bottleneck and never competes with the client for a core.
* The machine is shared. For every run the harness measures the CPU time
  spent by processes that are not its own (Window: per process from /proc,
  minus the harness and all its descendants) as a share of all CPUs' time;
  runner.Bench.measured() discards runs above --max-foreign and retries them.
"""

from __future__ import annotations

import ctypes
import os
import resource
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

CLK_TCK = os.sysconf("SC_CLK_TCK")
NCPU = os.cpu_count() or 1
PROXY_CPU = "0"  # the proxy under test
CLIENT_CPU = "1"  # load client and upstream


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


# --------------------------------------------------------------------------
# Processes: everything started is registered and stopped in cleanup().
# --------------------------------------------------------------------------

_libc = ctypes.CDLL(None, use_errno=True)
PR_SET_PDEATHSIG = 1


def child_setup() -> None:
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
                         env=env, start_new_session=True, preexec_fn=child_setup)
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


def on_signal(signum, _frame):
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


def nofile_limit() -> int:
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]
