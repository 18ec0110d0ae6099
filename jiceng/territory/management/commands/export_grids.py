from __future__ import annotations

import json
import sys

from django.core.management.base import BaseCommand, CommandError

from jiceng.lib import codes, geo
from jiceng.territory.grids import export_grids


class Command(BaseCommand):
    help = "Export the grids under a code as a GeoJSON FeatureCollection."

    def add_arguments(self, parser):
        parser.add_argument("--under", required=True, help="region code, e.g. 610921")
        parser.add_argument("--crs", choices=geo.CRS_CHOICES, default=geo.WGS84)
        parser.add_argument("-o", "--output", help="file (default: standard output)")

    def handle(self, *args, under, crs, output, **options):
        if not codes.is_digits(under):
            raise CommandError(f"区划代码只能由数字组成：{under!r}")
        data = export_grids(under, crs=crs)
        text = json.dumps(data, ensure_ascii=False)
        if output:
            with open(output, "w", encoding="utf-8") as fh:
                fh.write(text)
            self.stderr.write(f"已导出 {len(data['features'])} 个网格到 {output}")
        else:
            sys.stdout.write(text + "\n")
