from __future__ import annotations

from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from jiceng.lib.backup import KEYS_TO_KEEP, BackupError, backup


class Command(BaseCommand):
    help = "备份数据库（PostgreSQL 用 pg_dump，SQLite 用在线备份）与上传文件到一个 .tar.gz（运行中也可备份）"

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            "-o",
            help="备份文件（默认 $JICENG_DATA_DIR/backups/jiceng-YYYYmmdd-HHMMSS.tar.gz）",
        )

    def handle(self, *args, output=None, **options):
        if not output:
            stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
            output = str(Path(settings.DATA_DIR) / "backups" / f"jiceng-{stamp}.tar.gz")
        try:
            manifest = backup(Path(output))
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        rows = sum(manifest["tables"].values())
        size = Path(output).stat().st_size
        self.stdout.write(
            f"已备份到 {output}（{manifest['engine']}，{len(manifest['tables'])} 张表 {rows} 行，"
            f"{size / 1e6:.1f} MB）"
        )
        self.stdout.write("")
        self.stdout.write("请另行妥善保存以下设置（它们不在备份文件中，丢失后无法从备份恢复）：")
        for name, why in KEYS_TO_KEEP:
            self.stdout.write(f"  {name}：{why}")
        self.stdout.write(f"  （本次备份的检索密钥指纹：{manifest['keys']['pii_key']}）")
