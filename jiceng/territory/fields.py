"""A code column whose subtree is a prefix query that uses the index on both databases.

`Region.objects.filter(code__under="610921")` is every region in 汉阴县.

- PostgreSQL: LIKE 'P%' — Django gives unique/indexed CharFields a varchar_pattern_ops
  index, which serves LIKE prefixes whatever the database collation is.
- SQLite: Django's LIKE carries an ESCAPE clause and is case-insensitive, so SQLite will
  not use the index; codes are digit strings, so [P, P || ':') in binary order is exactly
  the set of strings that start with P (':' follows '9').
"""

from __future__ import annotations

from django.db import models
from django.db.models import Lookup

from jiceng.lib.codes import is_digits


class CodeField(models.CharField):
    """A division or grid code (digits only)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 32)
        super().__init__(*args, **kwargs)


@CodeField.register_lookup
class Under(Lookup):
    lookup_name = "under"

    def get_db_prep_lookup(self, value, connection):
        value = str(value)
        if not is_digits(value):
            raise ValueError(f"code prefix must be digits, got {value!r}")
        return ("%s", [value])

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        _, rhs_params = self.process_rhs(compiler, connection)
        prefix = str(list(rhs_params)[0])
        if connection.vendor == "postgresql":
            return f"{lhs} LIKE %s", [*lhs_params, prefix + "%"]
        return f"({lhs} >= %s AND {lhs} < %s)", [*lhs_params, prefix, *lhs_params, prefix + ":"]
