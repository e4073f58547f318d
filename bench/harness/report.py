"""The report: one cell per (scenario, target) holding the medians of its kept
runs (clean ones preferred; a cell with no clean run is marked noisy, never
silently), written as results/LATEST.md (ratios to nginx first, then a table
per scenario, instruction counts, the noise log) and LATEST.json (every
attempt, the settings and the machine). `bench/run.py --render` rewrites the
Markdown from a JSON file alone.
"""

from __future__ import annotations

import json
import platform
import statistics
import subprocess
from pathlib import Path

from . import REPO
from .procs import CLIENT_CPU, NCPU, PROXY_CPU, nofile_limit
from .scenarios import SCENARIOS
from .targets import S2_PATH, TARGET_ORDER

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
    "s2-traffic": {"nginx": "nginx proxy_pass (plain, reference)",
                   "weir": "Weir, split 95/5 + retries + compression not asked for"},
    "s6-tcp": {"direct": "sink direct", "nginx": "nginx stream proxy_pass", "haproxy": "HAProxy mode tcp",
               "weir": "Weir kind: tcp"},
    "s6-grpc": {"direct": "gRPC server direct", "nginx": "nginx grpc_pass", "haproxy": "HAProxy (h2 both sides)",
                "weir": "Weir kind: grpc, own port", "weir-routed": "Weir kind: grpc, routed by prefix on the main port"},
    "s1-accesslog": {"nginx": "nginx proxy_pass, access_log to a file", "weir": "Weir, WEIR_LOG_ACCESS=file"},
}


def target_title(scenario: str, target: str) -> str:
    return SCENARIO_TITLES.get(scenario, {}).get(target, TARGET_TITLES[target])


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


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


def write_report(b, out: Path, meta: dict | None = None) -> None:
    """LATEST.json and LATEST.md in `out`. `b` is the run's runner.Bench, or
    for --render a namespace with its fields a, results, callgrind, memory
    and scenario_notes (and `meta` given)."""
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
        if (("s2-policies", "weir") in cg) or (("s1-accesslog", "weir") in cg) or (("s2-traffic", "weir") in cg):
            w("s2-policies: Weir with every policy, nginx plain and Weir plain are all sent the s2 request "
              f"(`GET {S2_PATH}` with `Authorization: Bearer …` and `X-Debug`). s2-traffic: Weir with the "
              "split, retries and compression, nginx plain and Weir plain are all sent `GET /`. s1-accesslog: "
              "both write their access log to a file (the count includes Weir's writer task and nginx's "
              "buffered writes).\n")
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


def ratio_goal(cells, cg, sid: str, what: str, st) -> list[str]:
    """The goal line of an s2 scenario: Weir with its features / Weir plain,
    req/s of the same run and instructions per request, whichever were measured."""
    wp, ww = cells.get((sid, "weir-plain")), cells.get((sid, "weir"))
    ci, cp = cg.get((sid, "weir"), {}), cg.get((sid, "weir-plain"), {})
    parts = []
    if wp and ww and wp["rps"] and ww["rps"]:
        parts.append(f"{ww['rps']:,.0f} req/s / Weir plain {wp['rps']:,.0f} req/s = {ww['rps'] / wp['rps']:.2f}× "
                     f"({sid}, same run, interleaved){st(ww, wp)}")
    if ci.get("instr_per_req") and cp.get("instr_per_req"):
        parts.append(f"instructions/request {ci['instr_per_req']:,.0f} vs plain {cp['instr_per_req']:,.0f} = "
                     f"{cp['instr_per_req'] / ci['instr_per_req']:.2f}× plain's speed")
    return [f"{what}: " + "; ".join(parts)] if parts else []


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
    g += ratio_goal(cells, cg, "s2-traffic", "traffic scenario ≥ 0.9 × plain (issue 11): Weir with split + "
                    "retries + compression", st)
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


def machine_meta(b) -> dict:
    """What ran where: date, commit, Weir binary, CPU, kernel, tool versions (`b`: a runner.Bench)."""
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
    return {"date": b.started.strftime("%Y-%m-%d %H:%M UTC"), "git": git, "weir_sha": b.servers.weir_sha,
            "weir_role": " ".join(b.servers.weir_role), "cpu": cpu, "ncpu": NCPU, "kernel": platform.release(),
            "tools": tools, "nofile": nofile_limit()}
