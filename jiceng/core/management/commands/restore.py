from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from jiceng.lib.backup import BackupError, read_manifest, restore


class Command(BaseCommand):
    help = "从 jiceng backup 的备份文件恢复数据库与上传文件（请先停止 jiceng serve 和 worker）"

    def add_arguments(self, parser):
        parser.add_argument("archive", help="jiceng backup 生成的 .tar.gz")
        parser.add_argument("--yes", action="store_true", help="不再询问，直接覆盖当前数据")
        parser.add_argument(
            "--ignore-key-mismatch",
            action="store_true",
            help="检索密钥与备份时不同也继续（按证件号码查找将失效）",
        )

    def handle(self, *args, archive, yes, ignore_key_mismatch, **options):
        path = Path(archive)
        try:
            manifest = read_manifest(path)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        rows = sum(manifest["tables"].values())
        self.stdout.write(
            f"备份时间 {manifest['created_at']}，{manifest['engine']}，"
            f"{len(manifest['tables'])} 张表 {rows} 行"
        )
        if not yes:
            answer = input("将用备份覆盖当前数据库和上传文件，确定吗？输入 yes 继续：")
            if answer.strip().lower() != "yes":
                raise CommandError("已取消，未做任何改动")
        try:
            result = restore(path, ignore_key_mismatch=ignore_key_mismatch)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        if result.mismatched:
            for m in result.mismatched:
                self.stderr.write(m)
            raise CommandError("恢复后的行数与备份不一致，请检查上面列出的表")
        self.stdout.write(
            f"已恢复 {result.tables} 张表 {result.rows} 行、{result.media_files} 个上传文件；"
            "行数与备份一致。如程序版本比备份新，请再运行 jiceng migrate。"
        )
