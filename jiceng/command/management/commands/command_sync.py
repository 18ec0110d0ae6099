from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from jiceng.command import rollup


class Command(BaseCommand):
    help = (
        "Command-centre rollups: catch up with the case history (moves that sent no "
        "signal, e.g. the worker's cards), or rebuild them from the cases (--rebuild)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--rebuild", action="store_true", help="rebuild from the cases")
        parser.add_argument("--loop", action="store_true", help="keep catching up")
        parser.add_argument("--interval", type=float, default=5.0, help="seconds between passes")

    def handle(self, *args, rebuild, loop, interval, **options):
        if rebuild:
            started = time.monotonic()
            out = rollup.reconcile()
            self.stdout.write(
                f"已重建指挥中心统计：{out['cases']} 件诉求，{out['status_rows']} 行状态计数，"
                f"{out['day_rows']} 行日计数，{out['late_rows']} 行黄牌/红牌时段计数，用时 {time.monotonic() - started:.1f} 秒。"
            )
            return
        while True:
            n = rollup.catch_up()
            if not loop:
                self.stdout.write(f"已同步 {n} 件诉求。")
                return
            time.sleep(interval)
