"""Every read of jiceng.cases data by the dispatch app, in one module (the case fields are
being renamed in jiceng/cases; the coordinator adapts this file only)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from jiceng.cases.models import Case, Category, Status

# the final states: a closed case's category (after any 改派) is the truth to learn
CLOSED_STATES = (Status.CLOSED, Status.ARCHIVED)


def case_text(title: str, description: str) -> str:
    return f"{title}。{description}" if title and description else title or description


def closed_cases(county: str = "", limit: int = 200_000) -> Iterator[tuple[str, str]]:
    """(text, category path) of closed cases with a category, newest first."""
    qs = Case.objects.filter(status__in=CLOSED_STATES, category__isnull=False)
    if county:
        qs = qs.filter(region_code__startswith=county)
    rows = qs.order_by("-closed_at").values_list("title", "description", "category__path")
    for title, desc, path in rows[:limit].iterator(chunk_size=2000):
        yield case_text(title, desc), path or ""


def cases_between(prefix: str, start: datetime, end: datetime) -> list[dict]:
    """Cases created in [start, end) under the region prefix (the viewer's territory):
    [{"id", "number", "text", "region_code", "category", "created_at"}]."""
    qs = Case.objects.filter(created_at__gte=start, created_at__lt=end)
    if prefix:
        qs = qs.filter(region_code__startswith=prefix)
    return [
        {
            "id": r["id"],
            "number": r["number"],
            "text": case_text(r["title"], r["description"]),
            "region_code": r["region_code"] or "",
            "category": r["category__path"] or "",
            "created_at": r["created_at"],
        }
        for r in qs.values(
            "id", "number", "title", "description", "region_code", "category__path", "created_at"
        ).iterator(chunk_size=2000)
    ]


def category_paths() -> list[str]:
    """The county's active category tree as paths."""
    return [p for p in Category.objects.filter(active=True).values_list("path", flat=True) if p]


def category_by_path(path: str) -> Category | None:
    """The active Category with this path, or the deepest existing ancestor of it."""
    parts = path.split("/")
    found = {
        c.path: c
        for c in Category.objects.filter(
            active=True, path__in=["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
        )
    }
    for i in range(len(parts), 0, -1):
        c = found.get("/".join(parts[:i]))
        if c is not None:
            return c
    return None


def categories_by_path(paths: list[str]) -> dict[str, Category | None]:
    """`category_by_path` for several paths in one query (the suggest API's hot path)."""
    wanted = {
        "/".join(p.split("/")[:i]) for p in paths if p for i in range(1, len(p.split("/")) + 1)
    }
    found = {c.path: c for c in Category.objects.filter(active=True, path__in=sorted(wanted))}
    out: dict[str, Category | None] = {}
    for p in paths:
        parts = p.split("/")
        out[p] = next(
            (found[q] for i in range(len(parts), 0, -1) if (q := "/".join(parts[:i])) in found),
            None,
        )
    return out
