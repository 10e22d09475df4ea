"""Rows of the shared-limits benchmark (issue 17) for report.py: reads <engine>/limits/{memory,redis}/.

limits_section(engine_dir, engine) -> (rows, data): rows are (engine, metric, value, target, result, reference,
ratio) like report.py's (the reference column holds the in-process figure, the ratio is Redis ÷ in-process);
data goes into summary.json under tessera.<engine>.limits.
"""
import os

from report_orgs import _env, _json_line as _run

TARGETS = {
    "redis_vs_memory_rps": 0.90,   # issue 17: with Redis limits, users/me and authz/check within 10% of in-process
}

LOADS = (("me", "GET /users/me"), ("check", "POST /authz/check"))


def _f(x, digits=0):
    return "—" if x is None else f"{x:,.{digits}f}"


def limits_section(edir, engine):
    base = os.path.join(edir, "limits")
    if not os.path.isdir(base):
        return [], None
    data = {v: {"meta": _env(os.path.join(base, v, "meta.env")),
                "runs": {n: _run(os.path.join(base, v, n + ".json")) for n, _ in LOADS}}
            for v in ("memory", "redis")}
    rows = []
    shared = '"redis":"ok"' in data["redis"]["meta"].get("ready", "")
    if not shared:
        rows.append((engine, "limits: Redis not reachable by tessera (see limits/redis/meta.env)", "—", "", "FAIL", "", ""))
    for name, label in LOADS:
        mem, red = data["memory"]["runs"][name], data["redis"]["runs"][name]
        if not mem or not red:
            rows.append((engine, f"limits: {label}: no result", "—", "", "FAIL", "", ""))
            continue
        ratio = red["ok_rps"] / mem["ok_rps"] if mem["ok_rps"] else None
        clean = red["non2xx"] == 0 and red["socket_errors"] == 0 and mem["non2xx"] == 0
        ok = shared and clean and ratio is not None and ratio >= TARGETS["redis_vs_memory_rps"]
        data[f"{name}_ratio"] = ratio
        rows.append((engine, f"limits: {label} req/s with limits in Redis ({red['conns']} conns) "
                             f"[reference: in process; non-2xx {mem['non2xx']} / {red['non2xx']}]",
                     _f(red["ok_rps"]), f"≥ {TARGETS['redis_vs_memory_rps']:.0%} of in-process", "PASS" if ok else "FAIL",
                     _f(mem["ok_rps"]), "—" if ratio is None else f"×{ratio:.2f}"))
        rows.append((engine, f"limits: {label} p99 ms, Redis (reference: in process)", _f(red["p99_ms"], 2), "", "—",
                     _f(mem["p99_ms"], 2), f"×{red['p99_ms'] / mem['p99_ms']:.2f}" if mem["p99_ms"] else "—"))
    return rows, data
