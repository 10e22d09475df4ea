"""Rows of the events and webhooks benchmark (issue 5) for report.py: reads <engine>/events-<N>n/result.json.

events_section(engine_dir, engine) -> (rows, data): rows are (engine, metric, value, target, result, reference,
ratio) like report.py's; data goes into summary.json under tessera.<engine>.events.
"""
import json
import os

TARGETS = {
    "deliveries_per_s_postgres": 5000,   # issue 5: at least 5,000 deliveries/s on PostgreSQL
    "latency_p99_ms": 100.0,             # issue 5: p99 event-to-delivery under 100 ms at a steady 1,000 events/s
}


def _load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def _f(x, digits=1):
    if x is None or (isinstance(x, float) and x != x):
        return "—"
    return f"{x:,.{digits}f}"


def events_section(edir, engine):
    rows, data = [], {}
    for name in sorted(os.listdir(edir)) if os.path.isdir(edir) else []:
        if not name.startswith("events-"):
            continue
        r = _load(os.path.join(edir, name, "result.json"))
        label = f"{name[len('events-'):-1]} node(s)"
        if not r:
            rows.append((engine, f"events {label}: no result", "—", "", "FAIL", "", ""))
            continue
        data[name] = r
        dps = r.get("deliveries_per_s")
        dps_ok = None
        target = ""
        if engine == "postgres":
            target = f"≥ {TARGETS['deliveries_per_s_postgres']:,}"
            dps_ok = bool(r.get("drained")) and dps is not None and dps >= TARGETS["deliveries_per_s_postgres"]
        p99 = r.get("latency_ms_p99")
        lat_ok = bool(r.get("steady_all_delivered")) and p99 is not None and p99 == p99 and p99 < TARGETS["latency_p99_ms"]
        verdict = lambda ok: "—" if ok is None else ("PASS" if ok else "FAIL")  # noqa: E731
        rows += [
            (engine, f"events {label}: POST /orgs/{{id}}/events accepted/s ({r['conns']} conns, {r['burst']:,} events)",
             _f(r.get("accepted_per_s"), 0), "", "—", "", ""),
            (engine, f"events {label}: deliveries/s end to end, {r['burst']:,} new events published at once "
                     f"(first publish → last arrival)",
             _f(r.get("fresh_delivered_per_s"), 0), "", "—" if r.get("fresh_drained") else "FAIL", "", ""),
            (engine, f"events {label}: deliveries/s draining a recovered backlog of {r['recover_queued']:,}",
             _f(dps, 0), target, verdict(dps_ok), "", ""),
            (engine, f"events {label}: event→delivery p50 / p90 / p99 ms at {r['steady_rate']:,.0f} events/s "
                     f"({r['steady_delivered']:,}/{r['steady_events']:,} delivered)",
             f"{_f(r.get('latency_ms_p50'))} / {_f(r.get('latency_ms_p90'))} / {_f(p99)}",
             f"p99 < {TARGETS['latency_p99_ms']:.0f}", verdict(lat_ok), "", ""),
        ]
    return rows, data
