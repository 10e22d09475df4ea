#!/usr/bin/env python3
"""Merges what bench/run collected in a results folder into summary.json and summary.md, and prints the table.

Usage: report.py RESULTS_DIR   (stdlib only)
"""
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from report_orgs import TARGETS as ORG_TARGETS, orgs_section  # noqa: E402
from report_events import TARGETS as EVENT_TARGETS, events_section  # noqa: E402
from report_limits import TARGETS as LIMIT_TARGETS, limits_section  # noqa: E402

OUT = sys.argv[1]
MIB = 1024.0  # kB per MiB

TARGETS = {
    "login_vs_ceiling": 0.85,    # logins/s >= 85% of the argon2 ceiling
    "verify_rps": 20000,
    "me_rps": 15000,
    "refresh_rps": 1500,
    "idle_rss_mib": 40,
    "flood_p99_factor": 2.0,     # flood p99 <= 2 x (flood conns / ceiling): twice the ideal queueing delay
    "flood_rss_slack_mib": 10,   # flood peak RSS <= 1x sign-in peak RSS + 10 MiB
}


def read_env(path):
    d = {}
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                line = line.rstrip("\n")
                if "=" in line:
                    k, v = line.split("=", 1)
                    d[k] = v
    return d


def num(v):
    if isinstance(v, str) and re.fullmatch(r"-?\d+", v):
        return int(v)
    if isinstance(v, str) and re.fullmatch(r"-?\d+\.\d+", v):
        return float(v)
    return v


def read_json(path):
    try:
        with open(path) as f:
            txt = f.read().strip()
        return json.loads(txt.splitlines()[0]) if txt else None
    except (OSError, ValueError, IndexError):
        return None


def read_rss(path):
    """Samples "ms rss_kb"; a leading '-' marks the sample taken 2 s after the run."""
    during, after = [], None
    if not os.path.exists(path):
        return None
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) != 2:
                continue
            t, kb = parts
            if t.startswith("-"):
                after = int(kb)
            else:
                during.append((int(t), int(kb)))
    if not during:
        return None
    kbs = [kb for _, kb in during]
    return {
        "samples": len(during),
        "start_kb": kbs[0],
        "max_kb": max(kbs),
        "end_kb": kbs[-1],
        "after_2s_kb": after,
        "series_kb": kbs,
    }


run = {k: num(v) for k, v in read_env(os.path.join(OUT, "run.env")).items()}
hashtime = read_json(os.path.join(OUT, "hashtime.json")) or {}
nproc = int(run.get("nproc", os.cpu_count() or 1))
hash_ms = hashtime.get("hash_ms_median")
ceiling = nproc / (hash_ms / 1000.0) if hash_ms else None

engines = {}
for engine in str(run.get("engines", "")).split():
    edir = os.path.join(OUT, engine)
    if not os.path.isdir(edir):
        continue
    e = {"meta": {k: num(v) for k, v in read_env(os.path.join(edir, "meta.env")).items()}, "runs": {}}
    for name in ("login", "flood", "shed", "recover", "recover2", "verify", "me", "refresh"):
        r = read_json(os.path.join(edir, name + ".json"))
        if r is not None:
            r["rss"] = read_rss(os.path.join(edir, name + ".rss"))
            e["runs"][name] = r
    engines[engine] = e

peer = None
peer_path = os.path.join(OUT, "peer", "summary.json")
if os.path.exists(peer_path):
    with open(peer_path) as f:
        peer = json.load(f)


# ---- derived figures, checks, ratios ---------------------------------------------------------------------------
def g(d, *path):
    for p in path:
        if not isinstance(d, dict) or p not in d or d[p] is None:
            return None
        d = d[p]
    return d


def ratio(a, b):
    return (a / b) if (a is not None and b not in (None, 0)) else None


rows = []  # (engine, metric, value, target, result, peer, ratio)
derived = {}

peer_signin = g(peer, "signin")
peer_session = g(peer, "session")
peer_rss_idle = g(peer, "rss_kb", "idle_after_register")
peer_rss_load = None
if peer:
    peaks = [g(peer, s, "rss_peak_kb") for s in ("signin", "session", "signup")]
    peaks = [p for p in peaks if p]
    peer_rss_load = max(peaks) if peaks else None


def f0(x):
    return "—" if x is None else f"{x:,.0f}"


def f1(x):
    return "—" if x is None else f"{x:,.1f}"


def f2(x):
    return "—" if x is None else f"{x:,.2f}"


def fr(x):
    return "—" if x is None else f"×{x:.2f}"


def verdict(ok):
    return "—" if ok is None else ("PASS" if ok else "FAIL")


for engine, e in engines.items():
    R, M = e["runs"], e["meta"]
    d = {}
    org_rows, org_data = orgs_section(os.path.join(OUT, engine), engine)
    if org_data is not None:
        e["orgs"] = org_data
    ev_rows, ev_data = events_section(os.path.join(OUT, engine), engine)
    if ev_data:
        e["events"] = ev_data
    lim_rows, lim_data = limits_section(os.path.join(OUT, engine), engine)
    if lim_data is not None:
        e["limits"] = lim_data
    if not M.get("engine"):  # the identity tests did not run on this engine (SCENARIOS)
        rows.extend(org_rows)
        rows.extend(ev_rows)
        rows.extend(lim_rows)
        continue
    login, flood, shed = R.get("login"), R.get("flood"), R.get("shed")
    verify, me, refresh = R.get("verify"), R.get("me"), R.get("refresh")

    # 1) sign-in vs argon2 ceiling
    if login:
        lr = login["ok_rps"]
        d["login_rps"] = lr
        d["login_vs_ceiling"] = ratio(lr, ceiling)
        ok = d["login_vs_ceiling"] is not None and d["login_vs_ceiling"] >= TARGETS["login_vs_ceiling"] \
            and login["non2xx"] == 0 and login["socket_errors"] == 0
        pct = "—" if d["login_vs_ceiling"] is None else f"{100 * d['login_vs_ceiling']:.0f}% of ceiling"
        rows.append((engine, f"sign-in/s ({login['conns']} conns) [{pct}]", f1(lr),
                     f"≥ {f1(None if ceiling is None else TARGETS['login_vs_ceiling'] * ceiling)} (85% of {f1(ceiling)})",
                     verdict(ok), f1(g(peer_signin, "rps")), fr(ratio(lr, g(peer_signin, "rps")))))
        rows.append((engine, "sign-in p50 ms", f2(login["p50_ms"]), "", "—", f2(g(peer_signin, "p50_ms")),
                     fr(ratio(login["p50_ms"], g(peer_signin, "p50_ms")))))
        rows.append((engine, "sign-in p99 ms", f2(login["p99_ms"]), "", "—", f2(g(peer_signin, "p99_ms")),
                     fr(ratio(login["p99_ms"], g(peer_signin, "p99_ms")))))
        peer_ms = g(peer, "hash", "ms_per_verify_x1")
        peer_ceiling = (g(peer, "nproc") or nproc) / (peer_ms / 1000.0) if peer_ms else None
        peer_eff = ratio(g(peer_signin, "rps"), peer_ceiling)
        rows.append((engine, "sign-in/s as % of its own argon2 ceiling (peer: nproc ÷ its 1-thread verify time)",
                     "—" if d["login_vs_ceiling"] is None else f"{100 * d['login_vs_ceiling']:.0f}%", "", "—",
                     "—" if peer_eff is None else f"{100 * peer_eff:.0f}% of {peer_ceiling:.0f}/s",
                     fr(ratio(d["login_vs_ceiling"], peer_eff))))
        if login["non2xx"] or login["socket_errors"]:
            rows.append((engine, "sign-in errors (non-2xx / socket)", f"{login['non2xx']} / {login['socket_errors']}",
                         "0", "FAIL", "", ""))

    # 2) flood at FLOOD_FACTOR x the connections
    if flood and login:
        bound = None if ceiling is None else TARGETS["flood_p99_factor"] * flood["conns"] / ceiling * 1000
        p99_ok = bound is not None and flood["p99_ms"] <= bound and flood["socket_errors"] == 0
        login_peak = g(login, "rss", "max_kb")
        fl = flood.get("rss") or {}
        rss_ok = None
        if login_peak and fl.get("max_kb"):
            rss_ok = fl["max_kb"] <= login_peak + TARGETS["flood_rss_slack_mib"] * MIB
        d.update(flood_rps=flood["ok_rps"], flood_p99_ms=flood["p99_ms"], flood_p99_bound_ms=bound,
                 flood_rss_max_kb=fl.get("max_kb"), flood_rss_end_kb=fl.get("end_kb"),
                 flood_rss_after_kb=fl.get("after_2s_kb"), flood_503=flood["status_503"],
                 flood_other_non2xx=flood["non2xx"] - flood["status_503"])
        rows.append((engine, f"flood ({flood['conns']} conns = {flood['conns'] // max(1, login['conns'])}x) sign-in/s (2xx)",
                     f1(flood["ok_rps"]), "", "—", "", ""))
        rows.append((engine, "flood p50 / p99 ms", f"{f2(flood['p50_ms'])} / {f2(flood['p99_ms'])}",
                     f"p99 ≤ {f0(bound)} (2 × conns/ceiling)", verdict(p99_ok), "", ""))
        rows.append((engine, "flood non-2xx: 503 (with Retry-After) / other / socket errors",
                     f"{flood['status_503']} ({flood['status_503_with_retry_after']}) / "
                     f"{flood['non2xx'] - flood['status_503']} / {flood['socket_errors']}", "", "—", "", ""))
        rows.append((engine, "flood RSS MiB: max / end / 2 s after",
                     f"{f1(fl.get('max_kb') and fl['max_kb'] / MIB)} / {f1(fl.get('end_kb') and fl['end_kb'] / MIB)} / "
                     f"{f1(fl.get('after_2s_kb') and fl['after_2s_kb'] / MIB)}",
                     f"max ≤ 1x-load peak {f1(login_peak and login_peak / MIB)} + {TARGETS['flood_rss_slack_mib']}",
                     verdict(rss_ok), "", ""))
    if shed:
        sh = shed.get("rss") or {}
        sheds = shed["status_503"] > 0 and shed["status_503_with_retry_after"] == shed["status_503"]
        d.update(shed_rps=shed["ok_rps"], shed_503=shed["status_503"], shed_rss_max_kb=sh.get("max_kb"))
        rows.append((engine, f"overload ({shed['conns']} conns > hash queue) 2xx/s; p99 ms",
                     f"{f1(shed['ok_rps'])}; {f2(shed['p99_ms'])}", "", "—", "", ""))
        rows.append((engine, "overload 503 (with Retry-After) / other non-2xx / socket errors; RSS max MiB",
                     f"{shed['status_503']} ({shed['status_503_with_retry_after']}) / "
                     f"{shed['non2xx'] - shed['status_503']} / {shed['socket_errors']}; {f1(sh.get('max_kb') and sh['max_kb'] / MIB)}",
                     "503 + Retry-After", verdict(sheds), "", ""))

    for key, label in (("recover", "sign-in after the overload"), ("recover2", "sign-in after the abandoned sign-ins")):
        rec = R.get(key)
        if not rec:
            continue
        if key == "recover2" and M.get("abandon_codes"):
            rows.append((engine, f"{run.get('abandon')} sign-ins abandoned by clients after 0.2 s: answers by status "
                                 "(000 = gave up)", str(M["abandon_codes"]).replace(",", ", "), "", "—", "", ""))
        fine = rec["non2xx"] == 0 and rec["socket_errors"] == 0
        d.update({f"{key}_rps": rec["ok_rps"], f"{key}_503": rec["status_503"]})
        rows.append((engine, f"{label} ({rec['conns']} conns): 2xx/s; 503 / other non-2xx",
                     f"{f1(rec['ok_rps'])}; {rec['status_503']} / {rec['non2xx'] - rec['status_503']}",
                     "no 503 once drained", verdict(fine), "", ""))

    # 3) verify-token, 5) users/me vs peer get-session
    for key, run_, label, target in (("verify", verify, "GET /auth/verify-token", "verify_rps"),
                                      ("me", me, "GET /users/me", "me_rps")):
        if not run_:
            continue
        ok = run_["ok_rps"] >= TARGETS[target] and run_["non2xx"] == 0 and run_["socket_errors"] == 0
        d[f"{key}_rps"], d[f"{key}_p99_ms"] = run_["ok_rps"], run_["p99_ms"]
        rows.append((engine, f"{label} req/s ({run_['conns']} conns) vs get-session", f0(run_["ok_rps"]),
                     f"≥ {TARGETS[target]:,}", verdict(ok), f0(g(peer_session, "rps")),
                     fr(ratio(run_["ok_rps"], g(peer_session, "rps")))))
        rows.append((engine, f"{label} p99 ms", f2(run_["p99_ms"]), "", "—", f2(g(peer_session, "p99_ms")),
                     fr(ratio(run_["p99_ms"], g(peer_session, "p99_ms")))))
        if run_["non2xx"] or run_["socket_errors"]:
            rows.append((engine, f"{label} errors (non-2xx / socket)", f"{run_['non2xx']} / {run_['socket_errors']}",
                         "0", "FAIL", "", ""))

    # 4) refresh with rotating chains
    if refresh:
        broken = refresh["chains_broken"] + refresh["pool_starved"]
        ok = refresh["ok_rps"] >= TARGETS["refresh_rps"] and broken == 0 and refresh["non2xx"] == 0 \
            and refresh["socket_errors"] == 0
        d.update(refresh_rps=refresh["ok_rps"], refresh_p99_ms=refresh["p99_ms"], refresh_chains_broken=broken)
        rows.append((engine, f"POST /auth/refresh/s ({refresh['conns']} conns, rotating)", f0(refresh["ok_rps"]),
                     f"≥ {TARGETS['refresh_rps']:,}", verdict(ok), "", ""))
        rows.append((engine, "refresh p50 / p99 ms; broken chains / non-2xx",
                     f"{f2(refresh['p50_ms'])} / {f2(refresh['p99_ms'])}; {broken} / {refresh['non2xx']}",
                     "0 broken", verdict(broken == 0 and refresh["non2xx"] == 0), "", ""))

    noise = [(n, g(R.get(n), "non_server_cpu_pct")) for n in ("login", "flood", "verify", "me", "refresh")]
    noise = [f"{n} {v}%" for n, v in noise if v is not None]
    rows.append((engine, "share of the box NOT used by tessera during each test (wrk + other processes; noise)",
                 ", ".join(noise) + f"; busy before start {M.get('busy_before_pct', '—')}%", "", "—", "", ""))

    # 6) memory, start-up, size
    idle = M.get("rss_idle_kb")
    d["rss_idle_kb"] = idle
    rows.append((engine, "RSS MiB idle (start + a few requests incl. a sign-in, 7 s idle)", f1(idle and idle / MIB),
                 f"≤ {TARGETS['idle_rss_mib']}", verdict(None if idle is None else idle / MIB <= TARGETS["idle_rss_mib"]),
                 "", ""))
    ia = M.get("rss_idle_after_register_kb")
    rows.append((engine, f"RSS MiB idle after registering {run.get('users')} users", f1(ia and ia / MIB), "", "—",
                 f1(peer_rss_idle and peer_rss_idle / MIB), fr(ratio(ia, peer_rss_idle))))
    peaks = [g(R.get(n), "rss", "max_kb") for n in ("login", "verify", "me", "refresh")]
    peaks = [p for p in peaks if p]
    load_peak = max(peaks) if peaks else None
    d["rss_load_peak_kb"] = load_peak
    rows.append((engine, "RSS MiB peak under 1x load (sign-in, verify, me, refresh)", f1(load_peak and load_peak / MIB),
                 "", "—", f1(peer_rss_load and peer_rss_load / MIB), fr(ratio(load_peak, peer_rss_load))))
    rows.append((engine, "RSS MiB after all load / VmHWM",
                 f"{f1(M.get('rss_after_load_kb') and M['rss_after_load_kb'] / MIB)} / {f1(M.get('rss_hwm_kb') and M['rss_hwm_kb'] / MIB)}",
                 "", "—", f1(g(peer, "rss_kb", "peak_hwm") and peer["rss_kb"]["peak_hwm"] / MIB) + " (HWM)", ""))
    rows.append((engine, "start → /ready 200 ms (empty data dir)", f0(M.get("ready_ms")), "", "—", "", ""))
    d["ready_ms"] = M.get("ready_ms")
    e["derived"] = d
    derived[engine] = d
    rows.extend(org_rows)
    rows.extend(ev_rows)
    rows.extend(lim_rows)

size = run.get("binary_size_bytes")
rows.append(("—", "release binary MiB (target/release/tessera)", f1(size and size / 1048576), "", "—", "", ""))
rows.append(("—", f"argon2id hash ms (median of {hashtime.get('n')}, 1 thread); ceiling = {nproc} cores / hash",
             f"{f2(hash_ms)} ms → {f1(ceiling)}/s", "", "—",
             (f"{g(peer, 'hash', 'ms_per_verify_x1')} ms/verify" if peer else ""), ""))

checks = [r[4] for r in rows if r[4] in ("PASS", "FAIL")]
summary = {
    "date": run.get("timestamp"),
    "machine": {k: run.get(k) for k in ("nproc", "cpu_model", "mem_total_kb", "kernel", "busy_before_pct")},
    "git": {"commit": run.get("git_commit"), "dirty_files": run.get("git_dirty")},
    "tools": {k: run.get(k) for k in ("wrk_version", "rustc")},
    "parameters": {k: run.get(k) for k in ("duration_s", "warmup_s", "engines", "users", "conns_hash", "flood_factor",
                                           "flood_conns", "shed_conns", "abandon", "conns", "refresh_conns", "wrk_threads",
                                           "tessera_log", "peer_sqlite_sync", "scenarios", "org_users", "org_orgs",
                                           "org_teams", "org_members", "org_audit", "org_export_entries",
                                           "org_hot_share", "org_conns", "audit_conns", "export_runs")},
    "tessera_env": {"TESSERA_RATE_LIMIT__ENABLED": "false", "TESSERA_IDENTITY__LOCKOUT__IP_MAX_FAILURES": 1000000000,
                    "TESSERA_IDENTITY__ACCESS_TOKEN_TTL_SECS": 3600,
                    "argon2": "argon2id m=19456 KiB t=2 p=1 (tessera default), hash_concurrency=0 (=nproc), hash_queue=256",
                    "orgs_scenario": {"TESSERA_RATE_LIMIT__GLOBAL_PER_IP": 1000000000,
                                      "TESSERA_ACCESS__API_KEY_RATE_LIMIT_PER_MINUTE": 1000000000,
                                      "TESSERA_IDENTITY__ACCESS_TOKEN_TTL_SECS": 3600},
                    "limits_scenario": {"TESSERA_RATE_LIMIT__GLOBAL_PER_IP": 1000000000,
                                        "TESSERA_RATE_LIMIT__AUTH_PER_IP": 1000000000,
                                        "TESSERA_IDENTITY__ACCESS_TOKEN_TTL_SECS": 3600,
                                        "TESSERA_REDIS_URL": "LIMITS_REDIS_URL (redis variant only)"}},
    "targets": {**TARGETS, "orgs": ORG_TARGETS, "events": EVENT_TARGETS, "limits": LIMIT_TARGETS},
    "binary_size_bytes": size,
    "argon2": {**hashtime, "ceiling_logins_per_s": ceiling, "cores": nproc},
    "tessera": engines,
    "peer": peer,
    "elapsed_s": run.get("elapsed_s"),
    "checks": {"pass": checks.count("PASS"), "fail": checks.count("FAIL")},
}
with open(os.path.join(OUT, "summary.json"), "w") as f:
    json.dump(summary, f, indent=2)
    f.write("\n")

m = summary["machine"]
head = (f"tessera bench {summary['date']} — commit {str(summary['git']['commit'])[:12]} "
        f"({summary['git']['dirty_files']} uncommitted files); {m['nproc']} cores ({m['cpu_model']}), "
        f"{(m['mem_total_kb'] or 0) / 1048576:.1f} GiB; CPU busy before run {m['busy_before_pct']}%; "
        f"wrk -t{run.get('wrk_threads')} {run.get('duration_s')} s per test after {run.get('warmup_s')} s warm-up; "
        f"identity tests: rate limits off (TESSERA_RATE_LIMIT__ENABLED=false, IP lockout threshold 1e9), like the "
        f"peer's rateLimit: {{enabled: false}}; organizations tests (rows 'orgs'): rate limits on, per-address and "
        f"per-API-key limits raised to 1e9 per minute, on a database seeded by seed_orgs; the reference column "
        f"holds Zitadel's published 1,906 PAT requests/s for the API-key row; shared-limits tests (rows 'limits'): "
        f"rate limits on and out of reach, the same loads with limits in process and in Redis, the reference column "
        f"holding the in-process figure and the ratio Redis ÷ in-process.")
if peer:
    head += (f"\nPeer: better-auth {peer.get('better-auth')} on Node {peer.get('node')}, SQLite {peer.get('sqlite')}, "
             f"{peer.get('hash', {}).get('hash')}; its get-session is the read compared with verify-token and users/me. "
             f"tessera/peer ratios: >1 is better for req/s, <1 is better for ms and MiB.")
else:
    head += "\nPeer: not run (BENCH_SKIP_PEER) or failed; no ratios."
lines = [head, "", "| engine | metric | tessera | target | result | better-auth / reference | tessera/peer |",
         "|---|---|---:|---|---|---:|---:|"]
for r in rows:
    lines.append("| " + " | ".join(str(c) for c in r) + " |")
lines.append("")
lines.append(f"{summary['checks']['pass']} checks passed, {summary['checks']['fail']} failed; whole run {run.get('elapsed_s')} s. "
             f"Raw numbers: summary.json; wrk output, RSS samples and server logs beside it.")
md = "\n".join(lines) + "\n"
with open(os.path.join(OUT, "summary.md"), "w") as f:
    f.write(md)
print(md)
