"""`jiceng make-resident-file OUT N --grid CODE…`: a file of N fictitious residents for
trying or measuring the importer."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand

from jiceng.people import testdata


class Command(BaseCommand):
    help = "生成用于测试导入的虚构居民文件（.csv 或 .xlsx）"

    def add_arguments(self, parser):
        parser.add_argument("out")
        parser.add_argument("n", type=int)
        parser.add_argument("--grid", action="append", required=True)
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args, **opts):
        data = testdata.rows(opts["n"], opts["grid"], opts["seed"])
        out = Path(opts["out"])
        out.write_bytes(testdata.as_xlsx(data) if out.suffix == ".xlsx" else testdata.as_csv(data))
        self.stdout.write(f"{out}：{len(data)} 行")
