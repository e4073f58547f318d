#!/usr/bin/env python3
"""Summarise a callgrind dump by function and by kind of work.

callgrind_annotate splits one function's cost over every source file whose
code was inlined into it, which scatters Rust profiles over hundreds of
lines. This reads the dump itself and adds up each function's *self* cost
whatever file it came from, then groups functions into kinds of work
(header maps, hyper's HTTP/1 code, tokio, allocation, memcpy, ...).

Usage: bench/cgsum.py DUMP [--requests N] [--top 40]
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import defaultdict

# First match wins; patterns are searched in the demangled function name.
CATEGORIES = [
    ("memcpy/memmove (moves of large futures and buffers)", r"memcpy|memmove|memset"),
    ("allocation (malloc/free, mimalloc)", r"\bmi_|mimalloc|malloc|free\b|_int_free|realloc|__rust_(alloc|dealloc|realloc)|alloc::alloc"),
    ("hashing", r"hash_elem_using|Hasher|hash::|sip|fxhash|ahash|foldhash"),
    ("http::HeaderMap / HeaderName / HeaderValue", r"http::header"),
    ("httparse (parsing request/response heads)", r"httparse"),
    ("hyper HTTP/1 (dispatch, encode, io)", r"hyper::proto::h1|hyper::proto|hyper::body|hyper::client|hyper::server|hyper::common|hyper_util"),
    ("tokio scheduler, timers, I/O driver, channels", r"tokio::"),
    # hyper's client connection code is inlined into Weir's spawned connection task
    # (weir_proxy::upstream::connect::connect_http1::{{closure}}), so it lands here.
    ("Weir code (weir_* symbols; includes hyper client code inlined into them)", r"weir_"),
    ("bytes", r"bytes::"),
    ("tracing", r"tracing"),
    ("libc (syscall wrappers, etc.)", r"libc\.so|__libc|epoll|writev|recv|send|syscall|pthread"),
    ("core/alloc/std (other Rust library code)", r"core::|alloc::|std::|<.*as core"),
    ("nginx", r"^ngx_"),
]


def parse(path: str, callee_re: str | None = None):
    """Self cost per function; with callee_re also the inclusive cost of the
    calls each function makes to callees whose name matches it (and how many)."""
    names: dict[str, dict[str, str]] = defaultdict(dict)
    self_cost: dict[str, int] = defaultdict(int)
    callers: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    call_cost: dict[str, int] = defaultdict(int)
    want = re.compile(callee_re) if callee_re else None
    fn = cfn = "?"
    calls = 0
    skip_next = False
    total = None
    comp = re.compile(r"^(fn|cfn|fl|fi|fe|cfl|cfi|ob|cob)=\((\d+)\)(?: (.*))?$")
    with open(path, errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                continue
            c = line[0]
            if c.isdigit() or c in "+-*":
                if skip_next:  # the inclusive cost of a call, not self cost
                    skip_next = False
                    parts = line.split()
                    if len(parts) > 1 and cfn != fn:
                        call_cost[fn] += int(parts[1])
                    if want and want.search(cfn):
                        callers[fn][0] += int(parts[1]) if len(parts) > 1 else 0
                        callers[fn][1] += calls
                    continue
                parts = line.split()
                if len(parts) > 1:
                    self_cost[fn] += int(parts[1])
                continue
            if line.startswith("calls="):
                skip_next = True
                calls = int(line[6:].split()[0])
                continue
            m = comp.match(line)
            if m:
                kind, num, name = m.groups()
                table = names["fn" if kind in ("fn", "cfn") else kind]
                if name is not None:
                    table[num] = name
                if kind == "fn":
                    fn = table.get(num, f"fn#{num}")
                elif kind == "cfn":
                    cfn = table.get(num, f"fn#{num}")
                continue
            if line.startswith("fn="):
                fn = line[3:]
            elif line.startswith("cfn="):
                cfn = line[4:]
            elif line.startswith(("summary:", "totals:")):
                total = int(line.split()[1])
    inclusive = {f: self_cost.get(f, 0) + call_cost.get(f, 0) for f in set(self_cost) | set(call_cost)}
    return self_cost, total, callers, inclusive


def short(name: str) -> str:
    name = re.sub(r"::h[0-9a-f]{16}$", "", name)
    return name if len(name) < 160 else name[:157] + "..."


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("dump")
    p.add_argument("--requests", type=int, help="divide by this to show instructions per request")
    p.add_argument("--top", type=int, default=40)
    p.add_argument("--callers-of", metavar="REGEX", help="also list who calls functions matching REGEX")
    p.add_argument("--inclusive", metavar="REGEX",
                   help="also list the inclusive cost of functions matching REGEX (recursion counted once per level)")
    a = p.parse_args()
    cost, total, callers, inclusive = parse(a.dump, a.callers_of)
    total = total or sum(cost.values())
    per = (lambda x: f"{x / a.requests:10,.0f}/req") if a.requests else (lambda x: "")
    print(f"total {total:,} instructions" + (f" = {total / a.requests:,.0f} per request" if a.requests else ""))
    print(f"\n## by kind of work (self cost)\n")
    cats: dict[str, int] = defaultdict(int)
    for name, v in cost.items():
        for cat, pat in CATEGORIES:
            if re.search(pat, name):
                cats[cat] += v
                break
        else:
            cats["other"] += v
    for cat, v in sorted(cats.items(), key=lambda kv: -kv[1]):
        print(f"{100 * v / total:6.2f}%  {per(v)}  {cat}")
    print(f"\n## top {a.top} functions (self cost, all inlined code included)\n")
    for name, v in sorted(cost.items(), key=lambda kv: -kv[1])[: a.top]:
        print(f"{100 * v / total:6.2f}%  {per(v)}  {short(name)}")
    if a.inclusive:
        print(f"\n## inclusive cost of /{a.inclusive}/\n")
        hits = [(n, v) for n, v in inclusive.items() if re.search(a.inclusive, n)]
        for name, v in sorted(hits, key=lambda kv: -kv[1])[: a.top]:
            print(f"{100 * v / total:6.2f}%  {per(v)}  {short(name)}")
    if a.callers_of:
        print(f"\n## callers of /{a.callers_of}/ (inclusive cost of those calls, number of calls)\n")
        for name, (v, n) in sorted(callers.items(), key=lambda kv: -kv[1][0])[: a.top]:
            print(f"{100 * v / total:6.2f}%  {per(v)}  {n:>9,} calls  {short(name)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
