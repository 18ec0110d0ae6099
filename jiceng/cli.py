"""The `jiceng` console command: manage.py plus the platform's own subcommands.

`jiceng import-divisions` runs the management command `import_divisions`; hyphens and
underscores are the same, so every Django command works too (`jiceng migrate`).
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiceng.settings")
    if len(argv) > 1 and not argv[1].startswith("-"):
        argv[1] = argv[1].replace("-", "_")
    argv[0] = "jiceng"
    from django.core.management import execute_from_command_line
    from django.db.utils import OperationalError, ProgrammingError

    try:
        execute_from_command_line(argv)
    except (OperationalError, ProgrammingError) as exc:
        # A database that is missing, unreachable or not migrated is an operator's
        # mistake, not a crash: say what to do instead of printing a traceback.
        text = str(exc.args[0]) if exc.args else str(exc)
        if "no such table" in text or "does not exist" in text:
            hint = "数据库尚未初始化或需要升级：请先运行 `jiceng migrate`（或 `jiceng demo --no-serve`）。"
        else:
            hint = "无法访问数据库，请检查 DATABASE_URL 或 JICENG_DATA_DIR 设置以及数据库服务是否运行。"
        detail = text.strip().splitlines()[0] if text.strip() else repr(exc)
        sys.stderr.write(f"错误：{hint}\n（{detail}）\n")
        sys.exit(1)


if __name__ == "__main__":
    main()
