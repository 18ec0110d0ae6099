"""Intake against the floor, for two checkouts of the code, interleaved in one run.

    DATABASE_URL=postgres://…/h_bench python -m jiceng.bench.intake_ab \\
        --before /path/to/old/checkout --seconds 4 --rounds 3 --concurrency 16

On a database the benchmark generated (`jiceng bench --scale …`), two `jiceng serve` run
side by side: "before" with PYTHONPATH pointing at the other checkout, "after" with this
one. Each round drives each server in turn — first its floor (`GET /api/v1/health`), then
intake (`POST /api/v1/cases/`, the intake section's hotline cases, bench-admin's token) —
with the benchmark's load generator, alternating which server goes first, so the machine's
slow moments fall on both alike. Reported: per server the median over rounds of floor and
intake req/s, intake p50/p95/p99, and intake/floor; then after/before. The cases made are
set aside (cancelled) at the end, as the intake section does.
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
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--output", default="")
    args = ap.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiceng.settings")
    import django

    django.setup()
    from jiceng.bench import loadgen, sections
    from jiceng.bench.params import Params
    from jiceng.bench.server import Server
    from jiceng.cases.models import Case

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

    runs: dict[str, list[dict[str, Any]]] = {"before": [], "after": []}
    loads: list[float] = []
    try:
        servers["before"] = Server(env_extra={"PYTHONPATH": before}, cwd=before)
        servers["after"] = Server()
        for srv in servers.values():  # warm: each worker builds its grid index, maps, pool
            loadgen.run(srv.port, intake_req, args.concurrency, min(args.seconds, 3.0))
        for r in range(args.rounds):
            order = ["before", "after"] if r % 2 == 0 else ["after", "before"]
            for name in order:
                port = servers[name].port
                loads.append(os.getloadavg()[0])
                f = loadgen.run(port, health_req, args.concurrency, args.seconds).summary()
                res = loadgen.run(port, intake_req, args.concurrency, args.seconds)
                s = res.summary()
                if res.ok == 0:
                    raise RuntimeError(f"{name}: no intake succeeded: {res.first_error}")
                runs[name].append({"floor": f, "intake": s, "ratio": s["rps"] / f["rps"]})
                print(
                    f"round {r + 1} {name:6}: floor {f['rps']:7,.0f}/s  intake {s['rps']:6,.0f}/s"
                    f"  ratio {100 * s['rps'] / f['rps']:5.1f}%  p50 {s.get('median_ms', 0):6.0f}"
                    f"  p99 {s.get('p99_ms', 0):6.0f} ms  errors {s['errors']}",
                    flush=True,
                )
                time.sleep(1)
    finally:
        for srv in servers.values():
            srv.stop()
        made = Case.objects.filter(pk__gt=max_id).update(status="cancelled")
    out: dict[str, Any] = {"concurrency": args.concurrency, "seconds": args.seconds}
    out["load_average_1min"] = [round(x, 1) for x in loads]
    for name, rs in runs.items():
        med = statistics.median
        out[name] = {
            "floor_rps": round(med(x["floor"]["rps"] for x in rs), 1),
            "intake_rps": round(med(x["intake"]["rps"] for x in rs), 1),
            "ratio": round(med(x["ratio"] for x in rs), 4),
            "intake_p50_ms": round(med(x["intake"].get("median_ms", 0) for x in rs), 1),
            "intake_p95_ms": round(med(x["intake"].get("p95_ms", 0) for x in rs), 1),
            "intake_p99_ms": round(med(x["intake"].get("p99_ms", 0) for x in rs), 1),
            "rounds": rs,
        }
    b, a = out["before"], out["after"]
    out["after_over_before"] = {
        k: round(a[k] / b[k], 2) if b[k] else None
        for k in ("intake_rps", "ratio", "intake_p50_ms", "intake_p99_ms")
    }
    out["cases_made_then_cancelled"] = made
    print(json.dumps({k: v for k, v in out.items() if k not in ("before", "after")}, indent=1))
    for name in ("before", "after"):
        x = out[name]
        print(
            f"{name:6}: floor {x['floor_rps']:,.0f}/s intake {x['intake_rps']:,.0f}/s "
            f"({100 * x['ratio']:.1f}% of floor) p50 {x['intake_p50_ms']:.0f} "
            f"p95 {x['intake_p95_ms']:.0f} p99 {x['intake_p99_ms']:.0f} ms"
        )
    if args.output:
        with open(args.output, "w") as fh:
            json.dump(out, fh, indent=1, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())
