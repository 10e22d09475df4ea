"""Rows of the shared-limits benchmark (issue 17) for report.py: reads <engine>/limits/{memory,redis}/.
Each load ran in rounds (<load>.r<N>.json), memory and Redis taking turns; the median round of each is compared.

limits_section(engine_dir, engine) -> (rows, data): rows are (engine, metric, value, target, result, reference,
ratio) like report.py's (the reference column holds the in-process figure, the ratio is Redis ÷ in-process);
data goes into summary.json under tessera.<engine>.limits.
"""
import glob
import os

from report_orgs import _env, _json_line as _run

TARGETS = {
    "redis_vs_memory_rps": 0.90,   # issue 17: with Redis limits, users/me and authz/check within 10% of in-process
}

LOADS = (("me", "GET /users/me"), ("check", "POST /authz/check"))


def _f(x, digits=0):
    return "—" if x is None else f"{x:,.{digits}f}"


def _median_round(directory, load):
    """The round with the median req/s of `load` in `directory` (rounds sorted by ok_rps), and all their req/s."""
    runs = [r for r in (_run(p) for p in sorted(glob.glob(os.path.join(directory, load + ".r*.json")))) if r]
    if not runs:
        return None, []
    runs.sort(key=lambda r: r["ok_rps"])
    return runs[(len(runs) - 1) // 2], [r["ok_rps"] for r in runs]


def limits_section(edir, engine):
    base = os.path.join(edir, "limits")
    if not os.path.isdir(base):
        return [], None
    data = {v: {"meta": _env(os.path.join(base, v, "meta.env")),
                "runs": {n: _median_round(os.path.join(base, v), n)[0] for n, _ in LOADS},
                "rounds_rps": {n: _median_round(os.path.join(base, v), n)[1] for n, _ in LOADS}}
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
        rounds = len(data["redis"]["rounds_rps"][name])
        rows.append((engine, f"limits: {label} req/s with limits in Redis ({red['conns']} conns; median of {rounds} "
                             f"rounds, in turn with in-process) [reference: in process; non-2xx {mem['non2xx']} / {red['non2xx']}]",
                     _f(red["ok_rps"]), f"≥ {TARGETS['redis_vs_memory_rps']:.0%} of in-process", "PASS" if ok else "FAIL",
                     _f(mem["ok_rps"]), "—" if ratio is None else f"×{ratio:.2f}"))
        rows.append((engine, f"limits: {label} p99 ms, Redis (reference: in process)", _f(red["p99_ms"], 2), "", "—",
                     _f(mem["p99_ms"], 2), f"×{red['p99_ms'] / mem['p99_ms']:.2f}" if mem["p99_ms"] else "—"))
    return rows, data
