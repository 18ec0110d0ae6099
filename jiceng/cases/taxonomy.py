"""Import a three-level category tree from CSV (level1,level2,level3), e.g. the 政务留言
taxonomy. Codes are assigned per level (01, 0101, 010101) in file order; an existing node
(same path) is kept, so re-running the import adds only what is new."""

from __future__ import annotations

import csv
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext

from jiceng.cases.models import Category

LEVELS = ("level1", "level2", "level3")


@transaction.atomic
def import_csv(path: str | Path, *, prefix: str = "") -> dict[str, int]:
    """Returns {"added": n, "kept": n, "rejected": n}. Bad rows are counted, not fatal."""
    by_path = {c.path: c for c in Category.objects.all()}
    counts = {"added": 0, "kept": 0, "rejected": 0}
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        if not reader.fieldnames or not set(LEVELS) <= set(reader.fieldnames):
            raise ValidationError(gettext("CSV 需要 level1,level2,level3 三列"))
        for row in reader:
            names = [(row.get(k) or "").strip() for k in LEVELS]
            names = [n for n in names if n]
            if not names or any(len(n) > 100 for n in names):
                counts["rejected"] += 1
                continue
            parent = None
            for depth, _ in enumerate(names, start=1):
                p = "/".join(names[:depth])
                node = by_path.get(p)
                if node is None:
                    siblings = Category.objects.filter(parent=parent, depth=depth).count()
                    base = parent.code if parent else prefix
                    code = f"{base}{siblings + 1:02d}"
                    while Category.objects.filter(code=code).exists():
                        siblings += 1
                        code = f"{base}{siblings + 1:02d}"
                    node = Category.objects.create(
                        code=code,
                        name=names[depth - 1],
                        path=p,
                        parent=parent,
                        depth=depth,
                        order=siblings + 1,
                    )
                    by_path[p] = node
                    counts["added"] += 1
                elif depth == len(names):
                    counts["kept"] += 1
                parent = node
    return counts
