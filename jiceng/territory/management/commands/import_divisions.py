from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from jiceng.lib.codes import CodeError
from jiceng.territory.divisions import LEVEL_LABELS, DivisionImportError, import_divisions


class Command(BaseCommand):
    help = (
        "Import statistical division codes (provinces/cities/areas/streets/villages*.csv in the "
        "china-division format) under a province, city or county code. Idempotent."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "directory",
            help="folder with provinces.csv, cities.csv, areas.csv, streets.csv, villages*.csv",
        )
        parser.add_argument(
            "--under", required=True, help="e.g. 61, 6109, 610921 (or 12-digit form)"
        )

    def handle(self, *args, directory, under, **options):
        try:
            result = import_divisions(directory, under)
        except DivisionImportError as exc:
            for p in exc.problems[:50]:
                self.stderr.write(str(p))
            if len(exc.problems) > 50:
                self.stderr.write(f"……另有 {len(exc.problems) - 50} 处问题")
            raise CommandError("区划文件有误，未导入任何数据。") from exc
        except CodeError as exc:
            raise CommandError(str(exc)) from exc
        for key, label in LEVEL_LABELS.items():
            c = result.counts[key]
            self.stdout.write(
                f"{label:<6} 新增 {c['created']:>6}  更新 {c['updated']:>6}  未变 {c['unchanged']:>6}"
            )
        self.stdout.write(
            f"用时 {result.seconds:.2f} 秒（导入记录 #{result.run.pk if result.run else '—'}）"
        )
