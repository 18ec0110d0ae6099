"""`jiceng import-categories FILE.csv`: a three-level category tree (level1,level2,level3)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "导入三级诉求分类（CSV：level1,level2,level3）"

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--prefix", default="", help="code prefix for the top level")

    def handle(self, *args, path, prefix, **opts):
        from jiceng.cases.taxonomy import import_csv

        try:
            counts = import_csv(path, prefix=prefix)
        except FileNotFoundError:
            raise CommandError(f"文件不存在：{path}") from None
        except ValidationError as exc:
            raise CommandError("；".join(exc.messages)) from None
        self.stdout.write(
            f"新增 {counts['added']} 个分类，已存在 {counts['kept']} 个，拒绝 {counts['rejected']} 行"
        )
