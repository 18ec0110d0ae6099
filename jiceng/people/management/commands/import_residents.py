"""`jiceng import-residents FILE [--user NAME] [--merge] [--dry-run]`: the page's importer from
the command line (same checks, same whole-or-nothing rule, same report)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from jiceng.accounts.models import User
from jiceng.people import importer


class Command(BaseCommand):
    help = "导入户与居民（.xlsx 或 .csv，模板见导入页面）"

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument(
            "--user", help="以此账号的角色和辖区导入（默认：第一个超级管理员）", default=""
        )
        parser.add_argument("--merge", action="store_true", help="证件号码已登记时更新此人")
        parser.add_argument("--dry-run", action="store_true", help="只检查，不写入")

    def handle(self, *args, **opts):
        path = Path(opts["file"])
        if not path.is_file():
            raise CommandError(f"文件不存在：{path}")
        if opts["user"]:
            user = User.objects.filter(username=opts["user"]).first()
        else:
            user = User.objects.filter(is_superuser=True).order_by("id").first()
        if user is None:
            raise CommandError("找不到导入用户（用 --user 指定）")
        report = importer.run(
            user,
            path.name,
            path,  # streamed, read twice (check, then write)
            "merge" if opts["merge"] else "report",
            dry_run=opts["dry_run"],
        )
        for e in report.errors:
            where = f"第{e['line']}行" if e["line"] else "文件"
            self.stderr.write(f"{where}：{e['reason']}")
        if report.errors:
            raise CommandError(
                f"未导入：{report.counts.get('errors', 0)} 处错误（{report.rows} 行，{report.seconds} 秒）"
            )
        counts = ", ".join(f"{k}={v}" for k, v in report.counts.items())
        verb = "检查通过（未写入）" if opts["dry_run"] else "导入完成"
        self.stdout.write(f"{verb}：{report.rows} 行，{counts}，用时 {report.seconds} 秒")
