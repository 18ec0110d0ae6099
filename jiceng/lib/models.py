"""Model bases shared by the apps."""

from __future__ import annotations

from typing import Any

from django.db import models


class AppendOnly(models.Model):
    """A row that is written once — history, logs, versions: a correction is a new row, never
    an edit. `save` of a stored row and `delete` raise ValueError; `save(_allow_update=True)`
    is the one way for a model's own code to fill a column it owns later (e.g. a mark)."""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not kwargs.pop("_allow_update", False):
            raise ValueError(f"{type(self).__name__} rows are append-only: never edited")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ValueError(f"{type(self).__name__} rows are append-only: never deleted")
