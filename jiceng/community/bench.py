"""Bench section `community`: the village's own platform at scale.

In one transaction that is rolled back afterwards (the generated county is left as it
was), for the county's first town: one resident member per village, `publications`
publications on the first village's public board, `wall` answered and consented messages
on its 回音墙, and `entries` approved household-point entries spread over the town's
villages and twelve months. Then it times, in process (Django's test client, no server):

- the public board page `/community/v/<code>/` (anonymous, the village chose 无需登录) and
  the 回音墙 `/community/v/<code>/echo/` on its first and its last page, with the queries
  each page makes (they must not grow with the data);
- message intake: `inbox.write` (what the resident's form calls) one at a time;
- the month's points totals (`points.totals`) of every village of the town, and the 红黑榜
  (`points.boards`) of the biggest village;
- the overdue push (`watch.run_pass`) over the town's unanswered messages.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from django.db import connection

from jiceng.bench.util import Skip, percentiles


def section(ctx) -> dict:
    from jiceng.bench.params import COUNTY_CODE
    from jiceng.bench.sections import rolled_back, target

    ctx.need_part("territory")
    quick = ctx.quick
    tiny = ctx.params.scale < 0.01  # the benchmark's own test (scale 0.001): a smoke run
    n_pubs = 20 if tiny else 100 if quick else 300
    n_wall = 200 if tiny else 2_000 if quick else 20_000
    n_entries = 2_000 if tiny else 20_000 if quick else 200_000
    n_writes = 30 if tiny else 300 if quick else 3_000
    out: dict[str, Any] = {}

    def run() -> None:
        from django.test import Client
        from django.utils import timezone

        from jiceng.accounts.models import Role, User
        from jiceng.community import inbox, points, watch
        from jiceng.community.models import (
            Membership,
            Message,
            PointEntry,
            PointRule,
            Publication,
            PublicationVersion,
            VillageSettings,
        )
        from jiceng.territory.models import Level, Region

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
        if not villages:
            raise Skip(f"the generated town {town.code} has no village")
        v0 = villages[0].code
        now = timezone.now()
        staff = User.objects.create(
            username="bench-cm-staff", role=Role.COMMUNITY_STAFF, scope=villages[0]
        )
        User.objects.create(username="bench-cm-town", role=Role.STREET_DISPATCHER, scope=town)
        residents = User.objects.bulk_create(
            [
                User(username=f"bench-cm-r{i}", role=Role.RESIDENT, full_name=f"王{i}")
                for i in range(len(villages))
            ]  # fmt: skip
        )
        Membership.objects.bulk_create(
            [
                Membership(user=u, village_code=v.code, household_rep=True)
                for u, v in zip(residents, villages, strict=True)
            ]  # fmt: skip
        )
        VillageSettings.objects.create(village_code=v0, public_board=True)
        # the board: publications with one version each (bulk: the function is not timed)
        pubs = Publication.objects.bulk_create(
            [Publication(village_code=v0, kind=Publication.Kind.values[i % 4], created_by=staff,
                         created_at=now - timedelta(days=i), versions_count=1,
                         period_label=f"2026年第{i % 4 + 1}季度") for i in range(n_pubs)]
        )  # fmt: skip
        vers = PublicationVersion.objects.bulk_create(
            [PublicationVersion(publication=p, number=1, title=f"村务公开第{i}期",
                                body="公开内容" * 50, published_at=p.created_at,
                                published_by=staff) for i, p in enumerate(pubs)]
        )  # fmt: skip
        for p, ver in zip(pubs, vers, strict=True):
            p.current = ver
        Publication.objects.bulk_update(pubs, ["current"], batch_size=500)
        # the wall: answered, consented messages of the first village
        Message.objects.bulk_create(
            [Message(village_code=v0, author=residents[0], body=f"留言{i}：三组路灯坏了",
                     public_consent=True, created_at=now - timedelta(hours=i + 2),
                     due_at=now + timedelta(days=3), due_rule="5 workdays",
                     reply=f"答复{i}：已修好", replied_by=staff,
                     replied_at=now - timedelta(hours=i)) for i in range(n_wall)],
            batch_size=2000,
        )  # fmt: skip
        # points: rules per village, approved entries over twelve months
        rules = PointRule.objects.bulk_create(
            [PointRule(village_code=v.code, category="环境卫生", name=n, points=p)
             for v in villages for n, p in (("参加义务劳动", 5), ("乱倒垃圾", -5))]
        )  # fmt: skip
        by_village: dict[str, list] = {}
        for r in rules:
            by_village.setdefault(r.village_code, []).append(r)
        month0 = points.month_of(timezone.localdate())
        months = [(month0 - timedelta(days=31 * k)).replace(day=1) for k in range(12)]
        PointEntry.objects.bulk_create(
            [PointEntry(village_code=villages[i % len(villages)].code,
                        household_number=f"{i % 400}", household_name=f"户主{i % 400}",
                        rule=by_village[villages[i % len(villages)].code][int(i % 7 == 0)],
                        points=-5 if i % 7 == 0 else 5, month=months[i % 12],
                        evidence="现场核实", recorded_by=staff, recorded_at=now,
                        state="approved", approved_by=staff, approved_at=now)
             for i in range(n_entries)],
            batch_size=5000,
        )  # fmt: skip
        out["data"] = {"villages": len(villages), "publications": n_pubs, "wall": n_wall,
                       "point_entries": n_entries}  # fmt: skip

        anon = Client()

        def page(url: str, key: str) -> None:
            r = anon.get(url)
            if r.status_code != 200:
                raise RuntimeError(f"{url}: {r.status_code}")
            count = [0]

            def counter(execute, sql, params, many, context):
                count[0] += 1
                return execute(sql, params, many, context)

            with connection.execute_wrapper(counter):
                anon.get(url)
            lat = []
            for _ in range(ctx.reps):
                s = time.perf_counter()
                anon.get(url)
                lat.append(time.perf_counter() - s)
            out[key] = {**percentiles(lat), "queries": count[0],
                        "bytes": len(r.content)}  # fmt: skip

        page(f"/community/v/{v0}/", "board_page")
        page(f"/community/v/{v0}/echo/", "echo_first_page")
        page(f"/community/v/{v0}/echo/?page={(n_wall + 19) // 20}", "echo_last_page")

        # message intake, one resident per village in turn
        lat = []
        t0 = time.perf_counter()
        for i in range(n_writes):
            k = i % len(villages)
            s = time.perf_counter()
            inbox.write(residents[k], villages[k].code, f"第{i}条留言：道路坑洼", i % 2 == 0)
            lat.append(time.perf_counter() - s)
        total = time.perf_counter() - t0
        out["message_intake"] = {"messages": n_writes, "per_second": round(n_writes / total, 1),
                                 **percentiles(lat)}  # fmt: skip

        # the month's totals of every village of the town, and the biggest village's boards
        def town_totals() -> int:
            return sum(len(points.totals(v.code, month0)) for v in villages)

        lat = []
        for _ in range(ctx.reps):
            s = time.perf_counter()
            town_totals()
            lat.append(time.perf_counter() - s)
        out["town_month_totals"] = {**percentiles(lat), "villages": len(villages)}
        lat = []
        for _ in range(ctx.reps):
            s = time.perf_counter()
            points.boards(v0, month0)
            lat.append(time.perf_counter() - s)
        out["village_boards"] = percentiles(lat)

        # the overdue push over what was written (all due later: make them late)
        Message.objects.filter(replied_at__isnull=True).update(due_at=now - timedelta(hours=1))
        s = time.perf_counter()
        pushed = watch.run_pass(now)
        out["overdue_push"] = {**pushed, "seconds": round(time.perf_counter() - s, 3)}
        s = time.perf_counter()
        again = watch.run_pass(now)
        out["overdue_push_again"] = {**again, "seconds": round(time.perf_counter() - s, 3)}

    seconds, _ = rolled_back(run)
    judged = not quick
    note = "" if judged else "quick mode: not judged"
    out["function"] = "pages through django.test.Client, inbox.write, points.totals, watch"
    out["database"] = connection.vendor
    out["seconds"] = round(seconds or 0, 3)
    echo_last = out.get("echo_last_page", {}).get("p95_ms")
    out["targets"] = [
        target("public board page p95", "≤ 300 ms", out.get("board_page", {}).get("p95_ms"),
               (out["board_page"]["p95_ms"] <= 300) if judged else None, note),
        target("回音墙 last page p95", "≤ 300 ms", echo_last,
               (echo_last <= 300) if judged and echo_last is not None else None, note),
        target("message intake rate", "≥ 50 messages/s in process",
               out.get("message_intake", {}).get("per_second"),
               (out["message_intake"]["per_second"] >= 50) if judged else None, note),
    ]  # fmt: skip
    return out
