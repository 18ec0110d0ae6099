"""Intake against the floor, for two checkouts of the code, interleaved in one run.

    DATABASE_URL=postgres://…/h_bench python -m jiceng.bench.intake_ab \\
        --before /path/to/old/checkout --seconds 4 --rounds 3 --concurrency 1,4,16

On a database the benchmark generated (`jiceng bench --scale …`), two `jiceng serve` run
side by side: "before" with PYTHONPATH pointing at the other checkout, "after" with this
one. Each round drives each server in turn — first its floor (`GET /api/v1/health`), then
intake (`POST /api/v1/cases/`, the intake section's hotline cases, bench-admin's token) —
with the benchmark's load generator, alternating which server goes first, so the machine's
slow moments fall on both alike. Reported: per server the median over rounds of floor and
intake req/s, intake p50/p95/p99, and intake/floor; then after/before. The cases made are
set aside (cancelled) at the end, as the intake section does. Beside each figure: the
server's CPU per request (all its processes and threads, from /proc) and the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from typing import Any


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--before", required=True, help="a checkout of the code to compare with")
    ap.add_argument("--seconds", type=float, default=4.0)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--concurrency", default="16", help="one level or several: 1,4,16")
    ap.add_argument("--output", default="")
    ap.add_argument(
        "--warm", type=float, default=3.0, help="seconds of intake per server before measuring"
    )
    args = ap.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiceng.settings")
    import django

    django.setup()
    from jiceng.bench import loadgen, sections
    from jiceng.bench.params import Params
    from jiceng.bench.server import Server
    from jiceng.cases.models import Case

    levels = [int(x) for x in str(args.concurrency).split(",")]
    ctx = sections.Context(params=Params(scale=1.0), quick=True, say=lambda s: None)
    auth = {"Authorization": f"Bearer {ctx.token('bench-admin')}"}
    auth["Content-Type"] = "application/json"
    payloads = sections.intake_payloads(ctx, {"properties": sections.INTAKE_FIELDS}, 20_000)
    max_id = Case.objects.order_by("-id").values_list("id", flat=True).first() or 0
    before = os.path.abspath(args.before)
    servers: dict[str, Server] = {}
    n = [0]

    def intake_req(k: int, i: int) -> loadgen.Request:
        n[0] += 1
        return ("POST", "/api/v1/cases/", payloads[n[0] % len(payloads)], auth)

    def health_req(k: int, i: int) -> loadgen.Request:
        return ("GET", "/api/v1/health", None, {})

    runs: dict[tuple[str, int], list[dict[str, Any]]] = {}
    loads: list[float] = []
    try:
        servers["before"] = Server(env_extra={"PYTHONPATH": before}, cwd=before)
        servers["after"] = Server()
        for srv in servers.values():  # warm: each worker builds its grid index, maps, pool
            loadgen.run(srv.port, intake_req, max(levels), args.warm)
            # at full scale a process's first locate builds the index (~30 s under load):
            # warm until every request of a short run answers within a second
            for _ in range(20):
                w = loadgen.run(srv.port, intake_req, max(levels), 2.0)
                if w.ok and max(w.latencies) < 1.0:
                    break
        for r in range(args.rounds):
            order = ["before", "after"] if r % 2 == 0 else ["after", "before"]
            for c in levels:
                for name in order:
                    srv = servers[name]
                    port = srv.port
                    loads.append(os.getloadavg()[0])
                    f = loadgen.run(
                        port, health_req, c, args.seconds, server_pids=srv.pids
                    ).summary()
                    res = loadgen.run(port, intake_req, c, args.seconds, server_pids=srv.pids)
                    s = res.summary()
                    if res.ok == 0:
                        raise RuntimeError(f"{name}: no intake succeeded: {res.first_error}")
                    ratio = s["rps"] / f["rps"] if f["rps"] else 0.0
                    runs.setdefault((name, c), []).append({"floor": f, "intake": s, "ratio": ratio})
                    print(
                        f"round {r + 1} c={c:<2} {name:6}: floor {f['rps']:6,.0f}/s "
                        f"{f.get('cpu_ms_per_request', 0):5.2f} ms CPU  intake "
                        f"{s['rps']:5,.0f}/s {s.get('cpu_ms_per_request', 0):5.2f} ms CPU  "
                        f"ratio {100 * ratio:5.1f}%  p50 {s.get('median_ms', 0):5.0f}"
                        f"  p99 {s.get('p99_ms', 0):5.0f} ms  errors {s['errors']}  "
                        f"load {loads[-1]:.1f}",
                        flush=True,
                    )
                    time.sleep(1)
    finally:
        for srv in servers.values():
            srv.stop()
        made = Case.objects.filter(pk__gt=max_id).update(status="cancelled")
    out: dict[str, Any] = {"concurrency": levels, "seconds": args.seconds}
    out["load_average_1min"] = [round(x, 1) for x in loads]
    med = statistics.median
    for (name, c), rs in runs.items():
        out[f"{name}@{c}"] = {
            "floor_rps": round(med(x["floor"]["rps"] for x in rs), 1),
            "intake_rps": round(med(x["intake"]["rps"] for x in rs), 1),
            "ratio": round(med(x["ratio"] for x in rs), 4),
            "intake_p50_ms": round(med(x["intake"].get("median_ms", 0) for x in rs), 1),
            "intake_p95_ms": round(med(x["intake"].get("p95_ms", 0) for x in rs), 1),
            "intake_p99_ms": round(med(x["intake"].get("p99_ms", 0) for x in rs), 1),
            "floor_cpu_ms": round(med(x["floor"].get("cpu_ms_per_request", 0) for x in rs), 3),
            "intake_cpu_ms": round(med(x["intake"].get("cpu_ms_per_request", 0) for x in rs), 3),
            "rounds": rs,
        }
    for c in levels:
        b, a = out[f"before@{c}"], out[f"after@{c}"]
        out[f"after_over_before@{c}"] = {
            k: round(a[k] / b[k], 2) if b[k] else None
            for k in ("intake_rps", "ratio", "intake_p50_ms", "intake_p99_ms", "intake_cpu_ms")
        }
    out["cases_made_then_cancelled"] = made
    print(json.dumps({k: v for k, v in out.items() if k.startswith("after_over")}, indent=1))
    for c in levels:
        for name in ("before", "after"):
            x = out[f"{name}@{c}"]
            print(
                f"c={c:<2} {name:6}: floor {x['floor_rps']:,.0f}/s ({x['floor_cpu_ms']:.2f} ms "
                f"CPU) intake {x['intake_rps']:,.0f}/s ({x['intake_cpu_ms']:.2f} ms CPU, "
                f"{100 * x['ratio']:.1f}% of floor) p50 {x['intake_p50_ms']:.0f} "
                f"p95 {x['intake_p95_ms']:.0f} p99 {x['intake_p99_ms']:.0f} ms"
            )
    if args.output:
        with open(args.output, "w") as fh:
            json.dump(out, fh, indent=1, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())
