from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from jiceng.lib import geo
from jiceng.territory.grids import GridImportError, import_grids, read_file


class Command(BaseCommand):
    help = "Import grid boundaries from a GeoJSON FeatureCollection (code, name properties). Whole or nothing."

    def add_arguments(self, parser):
        parser.add_argument("file", help="FILE.geojson")
        parser.add_argument("--crs", choices=geo.CRS_CHOICES, default=geo.WGS84)
        parser.add_argument("--dry-run", action="store_true", help="check only, write nothing")

    def handle(self, *args, file, crs, dry_run, **options):
        try:
            text = read_file(file)
        except GridImportError as exc:
            raise CommandError(str(exc)) from exc
        except OSError as exc:
            raise CommandError(f"无法读取 {file}：{exc.strerror or exc}") from exc
        try:
            result = import_grids(text, crs=crs, dry_run=dry_run, source=str(file))
        except GridImportError as exc:
            for p in exc.problems[:100]:
                self.stderr.write(str(p))
            if len(exc.problems) > 100:
                self.stderr.write(f"……另有 {len(exc.problems) - 100} 处问题")
            raise CommandError(f"网格文件有误（{len(exc.problems)} 处），未导入任何网格。") from exc
        levels = "，".join(f"{k}级 {v} 个" for k, v in sorted(result.per_level.items()))
        prefix = "检查通过（未写入）：" if dry_run else ""
        self.stdout.write(
            f"{prefix}新增 {result.created}，更新 {result.updated}，未变 {result.unchanged}（{levels}）"
        )
