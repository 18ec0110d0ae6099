"""Direct bulk insert for the generator: executemany of model rows, without the ORM's
per-value compilation (which costs ~200 µs a row and would make 4 million rows a matter
of a quarter of an hour). Columns come from the model's own metadata; a column the
generator does not give gets the model's default, so a new column with a default does
not break the benchmark, and a new required column fails loudly."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from typing import Any

from django.core.management.color import no_style
from django.db import connection

UTC = dt.UTC


class Inserter:
    def __init__(self, model, now: dt.datetime):
        self.model = model
        self.table = model._meta.db_table
        self.fields = [f for f in model._meta.concrete_fields]
        self.columns = [f.column for f in self.fields]
        self.attnames = [f.attname for f in self.fields]
        self.sqlite = connection.vendor == "sqlite"
        self.defaults: dict[str, Any] = {}
        for f in self.fields:
            if f.primary_key:
                continue
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                self.defaults[f.attname] = self.prep(now)
            elif f.has_default() or not f.null:
                self.defaults[f.attname] = f.get_db_prep_save(f.get_default(), connection)
            else:
                self.defaults[f.attname] = None
        cols = ", ".join(connection.ops.quote_name(c) for c in self.columns)
        marks = ", ".join(["%s"] * len(self.columns))
        self.sql = f"INSERT INTO {connection.ops.quote_name(self.table)} ({cols}) VALUES ({marks})"
        with connection.cursor() as c:
            c.execute(f"SELECT MAX(id) FROM {connection.ops.quote_name(self.table)}")
            self.next_id = (c.fetchone()[0] or 0) + 1
        self.rows = 0

    def prep(self, v: Any) -> Any:
        if isinstance(v, dt.datetime):
            if self.sqlite:
                # what Django stores on SQLite: naive UTC text
                return v.astimezone(UTC).replace(tzinfo=None).isoformat(" ")
            return v
        if isinstance(v, dt.date):
            return v.isoformat() if self.sqlite else v
        if isinstance(v, (dict, list)):
            return json.dumps(v, ensure_ascii=False)
        return v

    def insert(self, rows: Iterable[dict[str, Any]]) -> list[int]:
        """Insert rows (attname → value); returns their ids, assigned here in order."""
        values = []
        ids = []
        prep, defaults = self.prep, self.defaults
        for r in rows:
            pk = self.next_id
            self.next_id += 1
            ids.append(pk)
            values.append(
                tuple(
                    pk if a == "id" else (prep(r[a]) if a in r else defaults[a])
                    for a in self.attnames
                )
            )
        with connection.cursor() as c:
            c.executemany(self.sql, values)
        self.rows += len(values)
        return ids

    def finish(self) -> None:
        """PostgreSQL: move the id sequence past the ids given here."""
        for sql in connection.ops.sequence_reset_sql(no_style(), [self.model]):
            with connection.cursor() as c:
                c.execute(sql)
