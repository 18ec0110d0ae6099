"""Multi-row writes on PostgreSQL as column arrays (the worker's cards and their events)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection
from django.db.models import Model


def pg_types(model: type[Model], cols: tuple[str, ...]) -> list[str]:
    """The PostgreSQL type of each column (`timestamp with time zone`, `bigint`, …)."""
    by_col = {f.column: f for f in model._meta.concrete_fields}
    return [by_col[c].db_type(connection) or "text" for c in cols]


def insert_columns(
    table: str,
    names: str,
    types: list[str],
    rows: Sequence[Sequence[Any]],
    ignore_conflicts: bool = False,
) -> None:
    """PostgreSQL: the rows as one array per column, `INSERT … SELECT FROM unnest(…)`:
    one statement of a dozen parameters however many rows, instead of a VALUES list of
    24,000 placeholders per 2,000 rows that the server parses and plans each time."""
    if not rows:
        return
    arrays = [list(col) for col in zip(*rows, strict=True)]
    args = ", ".join(f"%s::{t.split('(')[0]}[]" for t in types)
    tail = " ON CONFLICT DO NOTHING" if ignore_conflicts else ""
    with connection.cursor() as cur:
        cur.execute(f"INSERT INTO {table} ({names}) SELECT * FROM unnest({args}){tail}", arrays)
