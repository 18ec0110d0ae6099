"""`jiceng bench-worker`: time one worker pass over N open cases on a throwaway database.

Rows are bulk-inserted (a benchmark fixture, not intake): `--due` of them past their
yellow time and `--late` past their deadline. Refuses to run on a database that already
holds cases unless --force.
"""

from __future__ import annotations

import json
import random
import time
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone


class Command(BaseCommand):
    help = "测量后台任务一遍的耗时（仅用于空库）"

    def add_arguments(self, parser):
        parser.add_argument("--n", type=int, default=100_000)
        parser.add_argument("--due", type=float, default=0.10, help="share past the yellow time")
        parser.add_argument("--late", type=float, default=0.02, help="share past the deadline")
        parser.add_argument("--force", action="store_true")

    def handle(self, *args, n, due, late, force, **opts):
        from jiceng.accounts.models import Unit, UnitKind
        from jiceng.cases import outbox, worker
        from jiceng.cases.models import Case, Status
        from jiceng.territory.models import Level, Region

        if Case.objects.exists() and not force:
            raise CommandError("数据库中已有诉求：请在空库上运行（或 --force）")
        county, _ = Region.objects.get_or_create(
            code="999901", defaults={"name": "基准县", "level": Level.COUNTY}
        )
        town, _ = Region.objects.get_or_create(
            code="999901001", defaults={"name": "基准镇", "level": Level.STREET, "parent": county}
        )
        street, _ = Unit.objects.get_or_create(
            code="999901001",
            defaults={"name": "基准镇综治中心", "kind": UnitKind.STREET, "region": town},
        )
        dept, _ = Unit.objects.get_or_create(
            code="999901-x",
            defaults={"name": "基准局", "kind": UnitKind.DEPARTMENT, "region": county},
        )
        now = timezone.now()
        rng = random.Random(1)
        t0 = time.perf_counter()
        rows = []
        for i in range(n):
            x = rng.random()
            if x < late:
                ya, dl = now - timedelta(hours=5), now - timedelta(minutes=5)
            elif x < late + due:
                ya, dl = now - timedelta(minutes=5), now + timedelta(hours=5)
            else:
                ya, dl = now + timedelta(days=2), now + timedelta(days=3)
            rows.append(
                Case(
                    number=f"999901-B-{i:07d}",
                    channel="hotline",
                    request_type="complaint",
                    title="基准工单",
                    description="基准工单内容",
                    region_code=f"999901001{i % 50:03d}",
                    status=Status.HANDLING,
                    tier=3,
                    owner_unit=street,
                    unit=dept,
                    deadline=dl,
                    yellow_at=ya,
                    created_at=now - timedelta(days=1),
                )
            )
        Case.objects.bulk_create(rows, batch_size=2000)
        build = time.perf_counter() - t0
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("ANALYZE cases_case")

        class Null(outbox.Gateway):
            def send(self, msg):
                pass

        outbox.set_gateway(Null())
        stats = worker.run_pass()
        again = worker.run_pass()
        self.stdout.write(
            json.dumps(
                {
                    "vendor": connection.vendor,
                    "open_cases": n,
                    "insert_seconds": round(build, 1),
                    "pass": stats,
                    "second_pass": again,
                },
                ensure_ascii=False,
            )
        )
