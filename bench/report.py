#!/usr/bin/env python3
"""Turns the per-store results of bench/bench.py into bench/results/latest.md
(also printed) and bench/results/latest.json, with the ratios, their targets
and a PASS/MISS mark.

    python3 bench/report.py --repo . --build-dir .build/release --out-dir bench/results \
        sqlite=RESULT.json [postgres=RESULT.json]
"""

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys

STORE_NAMES = {"sqlite": "SQLite", "postgres": "PostgreSQL"}
RSS_TARGET_MIB = 64


def machine():
    model = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count()
    return {"nproc": cores, "cpu_model": model, "kernel": platform.release()}


def commit(repo):
    def git(*args):
        result = subprocess.run(["git", "-C", repo, *args], capture_output=True, text=True)
        return result.stdout.strip() if result.returncode == 0 else ""

    head = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = bool(git("status", "--porcelain", "--untracked-files=no"))
    return head + ("-dirty" if dirty else "")


def ratios(store, r):
    """[(key, label, value or None, op, target)] for one store's results."""
    s = r.get("scenarios", {})

    def get(*path):
        value = s
        for key in path:
            if not isinstance(value, dict) or key not in value:
                return None
            value = value[key]
        return value

    def divide(a, b):
        return a / b if a is not None and b not in (None, 0) else None

    dashboard_target = 0.35 if store == "postgres" else 0.60
    storm_p99 = get("storm", "latency_us", "p99")
    idle_p99 = get("dashboard", "latency_us", "p99")
    flood_p99 = get("flood", "latency_us", "p99")
    return [
        ("dashboard_vs_ceiling", "dashboard req/s ÷ ceiling req/s", get("dashboard", "vs_ceiling", "median"),
         ">=", dashboard_target),
        ("login_page_vs_ceiling", "login page req/s ÷ ceiling req/s", get("login_page", "vs_ceiling", "median"), ">=", 0.70),
        ("login_cycles_vs_hashes", "login cycles/s ÷ hashes/s", get("login_cycle", "vs_hashes", "median"), ">=", 0.90),
        ("storm_p99_vs_idle_p99", "dashboard p99 in storm ÷ idle p99", divide(storm_p99, idle_p99), "<=", 3),
        ("flood_p99_vs_idle_p99", "dashboard p99 in a throttled flood ÷ idle p99", divide(flood_p99, idle_p99), "<=", 3),
        ("flood_hashes", "hashes computed for the flood's thousands of wrong passwords", get("flood", "flood", "hashes"),
         "<=", 10),
        ("scale_1m_vs_1k", "dashboard req/s 1M sessions ÷ 1k", get("scale_1m", "vs_1k", "median"), ">=", 0.90),
        ("rss_dashboard_load_mib", "RSS under dashboard load, MiB", r.get("memory_mib", {}).get("dashboard_load"),
         "<=", RSS_TARGET_MIB),
        ("errors", "errors, all scenarios (incl. crashes)", total_errors(r), "==", 0),
    ]


def scenario_errors(r):
    errors = {}
    for name, data in r.get("scenarios", {}).items():
        if isinstance(data, dict):
            if "errors" in data and isinstance(data["errors"], int):
                errors[name] = data["errors"]
            elif "error_count" in data:
                errors[name] = data["error_count"]
    return errors


def total_errors(r):
    if r.get("harness_error") and not r.get("scenarios"):
        return None
    total = sum(scenario_errors(r).values())
    if r.get("crashed"):
        total += 1
    return total


def passes(value, op, target):
    if value is None:
        return False
    return {">=": value >= target, "<=": value <= target, "==": value == target}[op]


def fmt_ratio(value, target):
    """Two decimals, or three when two would round onto the target and hide a miss."""
    value = round(value, 3)
    shown = f"{value:.2f}"
    return f"{value:.3f}" if shown == f"{target:.2f}" else shown


def fmt_number(value, digits=0):
    if value is None:
        return "—"
    return f"{value:,.{digits}f}"


def by_round(ratio):
    """Each round's ratio with the steal share of its run: a round that ran
    while the host took a quarter of the CPU says more about the host than
    about Lith."""
    return " / ".join(f"{x:.2f} (steal {s:.0%})" for x, s in zip(ratio["rounds"], ratio["rounds_steal_share"]))


def ms(us):
    return "—" if us is None else f"{us / 1000:.2f}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repo", required=True)
    parser.add_argument("--build-dir", required=True)
    parser.add_argument("--out-dir", required=True)
    parser.add_argument("results", nargs="+", help="STORE=FILE")
    arguments = parser.parse_args()

    stores = {}
    for item in arguments.results:
        store, _, path = item.partition("=")
        with open(path) as f:
            stores[store] = json.load(f)

    # The binaries may come from another checkout (LITH_BENCH_BUILD_DIR): say which.
    build_dir = os.path.abspath(arguments.build_dir)
    source = build_dir
    for _ in range(4):
        source = os.path.dirname(source)
        if os.path.exists(os.path.join(source, "Package.swift")):
            break
    else:
        source = None
    binaries_commit = commit(source) if source else "unknown"
    info = {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "commit": commit(arguments.repo),
        "binaries_source": source,
        "binaries_commit": binaries_commit,
        "machine": machine(),
        "binaries": os.path.abspath(arguments.build_dir),
    }
    missed = []
    for store, r in stores.items():
        r["ratios"] = []
        for key, label, value, op, target in ratios(store, r):
            ok = passes(value, op, target)
            r["ratios"].append({"name": key, "label": label, "value": None if value is None else round(value, 3),
                                "op": op, "target": target, "pass": ok})
            if not ok:
                shown = "not measured" if value is None else fmt_ratio(value, target)
                missed.append(f"{STORE_NAMES.get(store, store)}: {label} = {shown} (target {op} {target})")
        r["errors_by_scenario"] = scenario_errors(r)

    names = list(stores)
    m = info["machine"]
    runs = max(stores[n].get("settings", {}).get("repeat", 1) for n in names)
    rounds = max(stores[n].get("settings", {}).get("rounds", runs + 2) for n in names)
    paired = f"the pages and the scale scenario in {rounds} rounds"
    secure = any(stores[n].get("settings", {}).get("secure_cookies") for n in names)
    repeat = f" (×{runs}, median run kept; {paired})" if runs > 1 else f" ({paired})"
    lines = [
        f"## Lith benchmark — {info['date']} — commit {info['commit']}",
        "",
        f"Machine: {m['nproc']} × {m['cpu_model']}, Linux {m['kernel']}. Binaries: `{info['binaries']}`"
        + ("" if not source or os.path.realpath(source) == os.path.realpath(arguments.repo)
           else f" (built from `{source}` at {binaries_commit})") + ". "
        f"wrk -t2 -c32, 3 s warm-up + 10 s{repeat}; login cycle 16 clients × 15 s; scrypt ln=14,r=8,p=1"
        + ("; served with --secure-cookies (Secure + __Host- cookies, HSTS). " if secure else ". ")
        +
        "Latencies in ms; RSS in MiB. Ratios compare numbers from the same run: the ceiling, dashboard and login "
        "page were measured in rounds, and a page's ratio is the median over the rounds of its req/s ÷ the mean of "
        "the ceiling runs either side; likewise the 1M-session runs, each between two 1k-session runs (a "
        "second server on a store with 999,000 more rows, alternating with the first), and each login-cycle "
        "round, divided by the mean of the hash-rate runs either side.",
        "",
        "| measure | target | " + " | ".join(STORE_NAMES.get(n, n) for n in names) + " |",
        "|---|---|" + "---|" * len(names),
    ]

    def row(label, target, cell):
        lines.append(f"| {label} | {target} | " + " | ".join(cell(stores[n]) for n in names) + " |")

    def sc(r, name):
        return r.get("scenarios", {}).get(name)

    def wrk_cell(name):
        def cell(r):
            d = sc(r, name)
            if not d:
                return "not run"
            return f"{fmt_number(d['requests_per_second'])} req/s (p50 {ms(d['latency_us']['p50'])}, p99 {ms(d['latency_us']['p99'])})"
        return cell

    def ceiling_cell(r):
        d = sc(r, "ceiling")
        if not d:
            return "not run"
        runs = " / ".join(fmt_number(x) for x in d.get("repeats_requests_per_second", []))
        return wrk_cell("ceiling")(r) + (f"; median of {runs}" if runs else "")

    def page_cell(name):
        def cell(r):
            d = sc(r, name)
            text = wrk_cell(name)(r)
            if d and d.get("vs_ceiling"):
                text += "; ÷ ceiling by round " + by_round(d["vs_ceiling"])
            return text
        return cell

    row("**ceiling**: lith-ceiling, same dashboard bytes", "", ceiling_cell)
    row("**dashboard**: signed-in GET /dashboard", "", page_cell("dashboard"))
    row("**login page**: guest GET /login", "", page_cell("login_page"))

    def cycle_cell(r):
        d = sc(r, "login_cycle")
        if not d:
            return "not run"
        return (f"{d['cycles_per_second']:.1f} cycles/s (p50 {d['latency_ms']['p50']:.0f}, p99 {d['latency_ms']['p99']:.0f}; "
                f"client CPU {d['client_cpu_share_of_one_core']:.0%} of a core); median round of "
                + " / ".join(f"{x:.1f}" for x in d["rounds_cycles_per_second"])
                + "; ÷ hashes by round " + by_round(d["vs_hashes"]))

    row("**login cycle**: login page → login → dashboard → logout", "", cycle_cell)
    def hash_cell(r):
        d = sc(r, "hash_rate")
        if not d:
            return "not run"
        runs = " / ".join(f"{x:.1f}" for x in d.get("runs", []))
        return f"{d['hashes_per_second']:.1f} hashes/s" + (f"; mean of {runs}" if runs else "")

    row("**hash ceiling**: `lith hash-rate`, all cores, server idle", "", hash_cell)

    def storm_cell(r):
        d, idle = sc(r, "storm"), sc(r, "dashboard")
        if not d or not idle:
            return "not run"
        return (f"p50 {ms(d['latency_us']['p50'])}, p99 {ms(d['latency_us']['p99'])} (idle: p50 {ms(idle['latency_us']['p50'])}, "
                f"p99 {ms(idle['latency_us']['p99'])}); {fmt_number(d['requests_per_second'])} req/s; "
                f"logins meanwhile {d['login_cycle']['cycles_per_second']:.1f} cycles/s")

    row("**storm**: dashboard while the login cycle runs", "", storm_cell)

    def flood_cell(r):
        d, idle = sc(r, "flood"), sc(r, "dashboard")
        if not d or not idle:
            return "not run"
        f = d["flood"]
        hashes = "unknown" if f.get("hashes") is None else str(f["hashes"])
        return (f"p50 {ms(d['latency_us']['p50'])}, p99 {ms(d['latency_us']['p99'])}; {fmt_number(d['requests_per_second'])} req/s; "
                f"flood {fmt_number(f['requests'])} wrong passwords at {fmt_number(f['requests_per_second'])}/s: "
                f"{fmt_number(f['throttled_429'])} × 429, {f['refused_422']} × 422; hashes {hashes}")

    row("**flood**: dashboard while one client sends wrong passwords for one account", "", flood_cell)

    def memory_cell(r):
        mem = r.get("memory_mib", {})
        return (f"idle {fmt_number(mem.get('idle'), 1)}, dashboard load {fmt_number(mem.get('dashboard_load'), 1)}, "
                f"after the login scenarios {fmt_number(mem.get('after_logins_idle'), 1)}, "
                f"100k sessions: {fmt_number(mem.get('after_100k_idle'), 1)} idle / {fmt_number(mem.get('after_100k_load'), 1)} under load")

    row("**memory**: server RSS (VmRSS), MiB", "", memory_cell)

    def scale_cell(r):
        a, b = sc(r, "scale_1k"), sc(r, "scale_1m")
        rows = r.get("session_rows", {})
        if not a:
            return "not run"
        text = f"{fmt_number(a['requests_per_second'])} req/s at {fmt_number(rows.get('scale_1k'))} rows"
        if b:
            text += f", {fmt_number(b['requests_per_second'])} req/s at {fmt_number(rows.get('scale_1m'))} rows"
        if b and b.get("vs_1k"):
            text += "; 1M ÷ 1k by round " + by_round(b["vs_1k"])
        return text

    row("**scale**: dashboard with 1k vs 1M sessions", "", scale_cell)

    def errors_cell(r):
        parts = [f"{k} {v}" for k, v in r["errors_by_scenario"].items()]
        if r.get("crashed"):
            parts.append(f"**CRASH during {r['crashed']['during']} (exit {r['crashed']['exit_status']})**")
        if r.get("harness_error"):
            parts.append("harness error")
        if r.get("not_run"):
            parts.append("not run: " + ", ".join(r["not_run"]))
        if r.get("server_log_lines"):
            parts.append(f"server logged {r['server_log_lines']} error line(s)")
        return "; ".join(parts) or "—"

    row("errors by scenario", "", errors_cell)

    for index, (key, label, _, op, target) in enumerate(ratios(names[0], stores[names[0]])):
        shown_op = {">=": "≥", "<=": "≤", "==": "="}[op]
        target_text = f"{shown_op} {target}"
        if key == "dashboard_vs_ceiling" and len(names) > 1:
            target_text = "≥ 0.60 (PostgreSQL ≥ 0.35)"
        elif key == "dashboard_vs_ceiling" and names[0] == "postgres":
            target_text = "≥ 0.35 (PostgreSQL)"

        def cell(r, index=index, key=key):
            entry = r["ratios"][index]
            value = entry["value"]
            if value is None:
                return "MISS (not measured)"
            shown = (f"{value:.0f}" if key == "errors" else f"{value:.1f}" if key == "rss_dashboard_load_mib"
                     else fmt_ratio(value, entry["target"]))
            return f"{shown} {'PASS' if entry['pass'] else '**MISS**'}"

        row(f"**{label}**", target_text, cell)

    lines.append("")
    for n in names:
        c = stores[n].get("cpu") or {}
        other, before = c.get("other_processes_share"), c.get("busy_before_run")
        if other is None:
            continue
        note = (f"CPU used by other processes during the {STORE_NAMES.get(n, n)} run: {other:.0%} of the machine "
                f"(busy before it started: {before:.0%}; steal: {c.get('steal_share') or 0:.0%}"
                + ("; includes PostgreSQL itself" if n == "postgres" else "") + ").")
        # On PostgreSQL "other" includes the database server: only the idle check counts.
        noisy = (before or 0) > 0.10 or (n != "postgres" and other > 0.05)
        lines.append(("**Warning: the machine was not quiet, numbers are unreliable.** " if noisy else "") + note)
    lines.append("")
    if missed:
        lines.append("**Missed targets:** " + "; ".join(missed) + ".")
    else:
        lines.append("All targets met.")
    markdown = "\n".join(lines) + "\n"

    os.makedirs(arguments.out_dir, exist_ok=True)
    with open(os.path.join(arguments.out_dir, "latest.md"), "w") as f:
        f.write(markdown)
    with open(os.path.join(arguments.out_dir, "latest.json"), "w") as f:
        json.dump({**info, "stores": stores, "missed": missed, "all_targets_met": not missed}, f, indent=2)
    sys.stdout.write(markdown)


if __name__ == "__main__":
    main()
