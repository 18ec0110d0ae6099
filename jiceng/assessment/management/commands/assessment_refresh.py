"""Recompute the facts the clock changes without a move (overdue, missed return visits)
for open cases and cases with a visit due, then the rollups. Run it daily (cron/systemd),
or with --all after an upgrade to rebuild every fact."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from jiceng.assessment import facts, rollup


class Command(BaseCommand):
    help = "重算未结诉求的考核事实和汇总（建议每天运行）"

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true", help="rebuild every case's facts")

    def handle(self, *args, all: bool = False, **options):
        if all:
            n = facts.backfill()
            rows = rollup.rebuild_all()
        else:
            n, batch = 0, []
            for pk in facts.open_case_ids():
                batch.append(pk)
                if len(batch) >= 5000:
                    n += facts.refresh(batch)
                    batch = []
            n += facts.refresh(batch)
            rows = rollup.refresh_dirty()
        self.stdout.write(f"考核事实 {n} 条，汇总 {rows} 行")
