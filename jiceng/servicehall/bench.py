"""Bench section: how fast the window takes applications in.

In one transaction that is rolled back afterwards (the generated county is left as it
was): publish the demo catalogue, make a window clerk for the county's first town, then
take N applications in through `applications.intake` (the function the API and the desk
call), one in eight with two materials missing (一次性告知). Reports the rate, latency
percentiles, queries per intake, and the desk's queue query over what was made.
"""

from __future__ import annotations

import time
from typing import Any

from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext

from jiceng.bench.util import percentiles


def section(ctx) -> dict:
    from jiceng.bench.params import COUNTY_CODE
    from jiceng.bench.sections import rolled_back, target

    ctx.need_part("territory")
    n = 300 if ctx.quick else 3000
    out: dict[str, Any] = {}

    def run() -> None:
        from jiceng.accounts.models import Role, User
        from jiceng.servicehall import applications as apps
        from jiceng.servicehall import catalogue
        from jiceng.servicehall.demo_items import guides
        from jiceng.servicehall.schemas import ApplicationIn, MaterialCheck
        from jiceng.territory.models import Level, Region

        for g in guides():
            catalogue.publish(g)
        town = (
            Region.objects.filter(code__under=COUNTY_CODE, level=Level.STREET)
            .order_by("code")
            .first()
        )
        if town is None:
            raise RuntimeError("the generated county has no town")
        villages = list(
            Region.objects.filter(code__under=town.code, level=Level.VILLAGE).order_by("code")
        )
        clerk = User.objects.create(username="bench-window", role=Role.WINDOW_CLERK, scope=town)
        items = [i for i in catalogue.published() if i.current and 4 in i.current.accept_levels]
        forms = []
        for k in range(n):
            it = items[k % len(items)]
            assert it.current is not None
            mats = list(it.current.materials.all())
            missing = {m.id for m in mats[:2]} if k % 8 == 0 else set()
            forms.append(ApplicationIn(
                item_code=it.code, applicant_name=f"申请人{k}", applicant_phone=f"139{k:08d}",
                applicant_id_last4="", proxy_request_id=None, channel="window", delivery="collect",
                region_code=villages[k % len(villages)].code,
                materials=[MaterialCheck(material_id=m.id, state="missing" if m.id in missing
                                         else "provided") for m in mats],  # type: ignore[arg-type]
            ))  # fmt: skip
        with CaptureQueriesContext(connection) as q:
            apps.intake(clerk, forms[0])
        out["queries_per_intake"] = len(q.captured_queries)
        lat = []
        t0 = time.perf_counter()
        for f in forms[1:]:
            s = time.perf_counter()
            apps.intake(clerk, f)
            lat.append(time.perf_counter() - s)
        total = time.perf_counter() - t0
        out["applications"] = n
        out["seconds"] = round(total, 3)
        out["per_second"] = round((n - 1) / total, 1)
        out["latency"] = percentiles(lat)
        # flat or growing: the first and last tenth (a growing intake means a scan somewhere)
        tenth = max(1, len(lat) // 10)
        out["first_tenth_median_ms"] = percentiles(lat[:tenth])["median_ms"]
        out["last_tenth_median_ms"] = percentiles(lat[-tenth:])["median_ms"]
        qs = apps.visible(clerk).filter(current_level=4).filter(
            Q(status__in=["accepted", "in_review", "suspended"])).order_by("promised_due")  # fmt: skip
        s = time.perf_counter()
        rows = list(qs.select_related("version__item")[:50])
        out["desk_queue_ms"] = round((time.perf_counter() - s) * 1000, 2)
        out["desk_queue_rows"] = len(rows)

    seconds, _ = rolled_back(run)
    judged = not ctx.quick
    out["function"] = "jiceng.servicehall.applications.intake, in a transaction rolled back"
    out["database"] = connection.vendor
    out["targets"] = [
        target("window intake rate", "≥ 50 applications/s in process", out.get("per_second"),
               out.get("per_second", 0) >= 50 if judged else None,
               "" if judged else "quick mode: not judged"),
    ]  # fmt: skip
    return out
