"""The run's facts (machine, database, commit) and the readable table."""

from __future__ import annotations

import datetime as dt
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

from django.db import connection


def machine() -> dict[str, Any]:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        cpu = platform.processor()
    mem_gb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return {
        "hostname": platform.node(),
        "os": platform.platform(),
        "cpu": cpu,
        "cpu_count": os.cpu_count(),
        "memory_gb": mem_gb,
        "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def database() -> dict[str, Any]:
    info: dict[str, Any] = {
        "vendor": connection.vendor,
        "name": str(connection.settings_dict["NAME"]),
    }
    with connection.cursor() as c:
        if connection.vendor == "postgresql":
            c.execute("SHOW server_version")
            info["version"] = c.fetchone()[0]
        elif connection.vendor == "sqlite":
            c.execute("SELECT sqlite_version()")
            info["version"] = c.fetchone()[0]
    return info


def git_commit() -> str:
    root = Path(__file__).resolve().parents[2]
    try:
        out = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short=12", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
        )
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
        )
        if out.returncode == 0:
            return out.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
    except OSError:
        pass
    return "unknown"


def meta(params: dict, quick: bool) -> dict[str, Any]:
    import django

    return {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "python": sys.version.split()[0],
        "django": django.get_version(),
        "database": database(),
        "git_commit": git_commit(),
        "quick": quick,
        "params": params,
    }


def _ms(d: dict, key: str = "p95_ms") -> str:
    v = d.get(key)
    return "—" if v is None else f"{v:,.1f}"


def lines(result: dict) -> list[str]:
    """The readable table (one block per section)."""
    m = result["meta"]
    out = [
        "",
        f"jiceng bench — {m['date']}  commit {m['git_commit']}  "
        f"{'quick' if m['quick'] else 'full'} (scale {m['params']['scale']})",
        f"machine: {m['machine']['cpu']} × {m['machine']['cpu_count']}, "
        f"{m['machine']['memory_gb']} GB; Python {m['python']}, Django {m['django']}; "
        f"{m['database']['vendor']} {m['database'].get('version', '')}",
        "",
        "generation:",
    ]
    for part, g in result["generation"].items():
        if g.get("status") == "skipped":
            out.append(f"  {part:<10} skipped: {g.get('reason')}")
        else:
            counts = g.get("counts", {})
            short = ", ".join(f"{k} {v:,}" for k, v in counts.items() if isinstance(v, int))
            out.append(f"  {part:<10} {g['status']:<7} {g.get('seconds', 0):>8.1f} s  {short}")
    out.append("")
    out.append(f"{'section':<18} {'figure':<46} {'median':>10} {'p95':>10} {'p99':>10}")
    out.append("-" * 98)
    for name, sec in result["sections"].items():
        st = sec.get("status")
        if st != "ok":
            why = sec.get("reason") or sec.get("error", "")
            out.append(f"{name:<18} {st.upper()}: {why[:76]}")
            continue
        for label, med, p95, p99 in _rows(name, sec):
            out.append(f"{name:<18} {label:<46} {med:>10} {p95:>10} {p99:>10}")
    out.append("")
    out.append("targets:")
    for t in result.get("targets", []):
        mark = {True: "HOLDS", False: "MISSED", None: "n/a"}[t["holds"]]
        note = f"  ({t['note']})" if t.get("note") else ""
        out.append(f"  [{mark:<6}] {t['target']}: {t['value']} (goal {t['goal']}){note}")
    return out


def _rows(name: str, s: dict) -> list[tuple[str, str, str, str]]:
    r: list[tuple[str, str, str, str]] = []
    if name == "locate":
        si = s["single"]
        r.append((f"single calls: {si['per_second']:,}/s (ms →)", _ms(si, "median_ms"),
                  _ms(si), _ms(si, "p99_ms")))  # fmt: skip
        if "batch" in s:
            r.append((f"batch: {s['batch']['per_second']:,} points/s", "", "", ""))
        r.append((f"index build {s['index_build_s']} s, {s['grids']:,} grids", "", "", ""))
    elif name == "intake":
        for lv in s["levels"]:
            f, i = lv["floor"], lv["intake"]
            fc = f", {f['cpu_ms_per_request']:.2f} ms CPU" if "cpu_ms_per_request" in f else ""
            r.append((f"c={lv['concurrency']:<2} health floor {f['rps']:,.0f} req/s{fc}",
                      _ms(f, "median_ms"), _ms(f), _ms(f, "p99_ms")))  # fmt: skip
            q = f", {i['queries']} q" if "queries" in i else ""
            q += f", {i['cpu_ms_per_request']:.2f} ms CPU" if "cpu_ms_per_request" in i else ""
            r.append((f"c={lv['concurrency']:<2} intake {i['rps']:,.0f} req/s "
                      f"({100 * lv['ratio']:.0f}% of floor{q})",
                      _ms(i, "median_ms"), _ms(i), _ms(i, "p99_ms")))  # fmt: skip
    elif name == "summary":
        r.append((f"summary over {s['cases']:,} cases", _ms(s, "median_ms"), _ms(s),
                  _ms(s, "p99_ms")))  # fmt: skip
    elif name == "case_list":
        a = s["api"]
        r.append(("API GET /api/v1/cases/ (filtered)", _ms(a, "median_ms"), _ms(a),
                  _ms(a, "p99_ms")))  # fmt: skip
        p = s.get("page", {})
        if "p95_ms" in p:
            r.append((f"page {p['url']} (filtered)", _ms(p, "median_ms"), _ms(p), _ms(p, "p99_ms")))
        else:
            r.append((f"page: {p.get('skipped', '')[:44]}", "", "", ""))
        by_user = s.get("by_user") or {"bench-admin": {"api": a.get("by_filter", []),
                                                      "page": p.get("by_filter", [])}}  # fmt: skip
        for user, parts in by_user.items():
            r.append((f" {user}: {parts.get('scope', '')}"[:60], "", "", ""))
            for part in ("api", "page", "search"):
                for f in parts.get(part, []):
                    if "queries" in f:
                        label = f.get("what", "") or f["query"].split("?", 1)[-1]
                        head = "API" if f["query"].startswith("/api/") else "page"
                        r.append((f"  {head} {label[:44]} {f['queries']} q", _ms(f, "median_ms"),
                                  _ms(f), _ms(f, "p99_ms")))  # fmt: skip
    elif name == "worker":
        r.append((f"catch-up pass {s['catch_up_pass_s']} s ({s['open_cases']:,} open)", "", "", ""))
        r.append(
            (f"steady pass {s['steady_pass_s']} s; peak RSS {s['peak_rss_mb']} MB", "", "", "")
        )
    elif name.startswith("import"):
        r.append((f"{s['rows']:,} rows: {s['rows_per_s']:,}/s vs raw {s['raw_rows_per_s']:,}/s",
                  "", "", ""))  # fmt: skip
        r.append((f"ratio {s['ratio_to_raw']}× raw", "", "", ""))
    elif name == "export":
        for key in ("csv", "xlsx"):
            e = s[key]
            r.append((f"{e['format']}: {s['residents']:,} rows {e['seconds']} s "
                      f"(CPU {e['cpu_seconds']} s); per 95k {e['seconds_per_95k']} s",
                      "", "", ""))  # fmt: skip
    elif name == "memory":
        srv = s.get("server_peak_rss_mb") or {}
        workers = "/".join(f"{v:.0f}" for k, v in srv.items() if k.startswith("worker") and v)
        master = srv.get("master")
        txt = f"master {master:.0f}, workers {workers or '—'}" if master else "—"
        r.append((f"server peak RSS MB: {txt}", "", "", ""))
        r.append((f"worker peak RSS MB: {s.get('worker_peak_rss_mb')}", "", "", ""))
    return r


def markdown(result: dict) -> str:
    """The figures of one run as Markdown (for docs/benchmarks.md)."""
    m = result["meta"]
    mach = m["machine"]
    db = m["database"]
    out = [
        f"Run of {m['date']} (commit `{m['git_commit']}`), scale {m['params']['scale']}: "
        f"{mach['cpu']} × {mach['cpu_count']}, {mach['memory_gb']} GB, load average at start "
        f"{mach.get('loadavg_at_start')}; Python {m['python']}, Django {m['django']}, "
        f"{db['vendor']} {db.get('version', '')}.",
        "",
        "| part | status | seconds | rows |",
        "| --- | --- | ---: | --- |",
    ]
    for part, g in result["generation"].items():
        counts = g.get("counts", {})
        short = ", ".join(f"{k} {v:,}" for k, v in counts.items() if isinstance(v, int))
        secs = g.get("seconds")
        secs = f"{secs:,.1f}" if isinstance(secs, (int, float)) else ""
        out.append(f"| {part} | {g['status']} | {secs} | {short} |")
    out += [
        "",
        "| section | figure | median ms | p95 ms | p99 ms |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    for name, sec in result["sections"].items():
        if sec.get("status") != "ok":
            why = sec.get("reason") or sec.get("error", "")
            out.append(f"| {name} | {sec.get('status')}: {why[:120]} | | | |")
            continue
        for label, med, p95, p99 in _rows(name, sec):
            out.append(f"| {name} | {label} | {med} | {p95} | {p99} |")
    out += ["", "| target | goal | measured | holds |", "| --- | --- | --- | --- |"]
    for t in result.get("targets", []):
        mark = {True: "yes", False: "**no**", None: "not judged"}[t["holds"]]
        note = f" ({t['note']})" if t.get("note") else ""
        out.append(f"| {t['target']} | {t['goal']} | {t['value']}{note} | {mark} |")
    return "\n".join(out)


if __name__ == "__main__":  # python -m jiceng.bench.report RESULT.json
    import json as _json

    print(markdown(_json.loads(Path(sys.argv[1]).read_text())))
