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

    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
