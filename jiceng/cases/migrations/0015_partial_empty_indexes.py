"""Indexes a card does not write (decision 0090): the worker's card is no HOT update, so
PostgreSQL inserts the new row version into every index of `cases_case` whose predicate
holds. `visit_due_at`, `parent` and `reporter` are empty on every open case: indexed only
where set. The event's own `case_id` index is the head of `(case, at)`; the outbox's
`dedupe_key` keeps one unique B-tree (no `_like` twin); `to_user` is indexed where set,
and the events' `actor` and `from_unit` (empty on the worker's events).

On SQLite, altering a field remakes the table, which drops the FTS5 triggers of 0012:
created again at the end, and the index rebuilt (as 0014 does).
"""

import importlib

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# 0012's module name starts with a digit: imported by name, its statements reused
_fts = importlib.import_module("jiceng.cases.migrations.0012_text_search_fts5_sqlite")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_access_subject"),
        ("cases", "0014_worker_and_plain_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="case",
            name="parent",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="parts",
                to="cases.case",
            ),
        ),
        migrations.AlterField(
            model_name="case",
            name="reporter",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="reported_cases",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="case",
            name="visit_due_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name="caseevent",
            name="actor",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="caseevent",
            name="case",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="events",
                to="cases.case",
            ),
        ),
        migrations.AlterField(
            model_name="caseevent",
            name="from_unit",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="accounts.unit",
            ),
        ),
        migrations.AlterField(
            model_name="outbox",
            name="dedupe_key",
            field=models.CharField(max_length=120),
        ),
        migrations.AlterField(
            model_name="outbox",
            name="to_user",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                condition=models.Q(("visit_due_at__isnull", False)),
                fields=["visit_due_at"],
                name="case_visit_due",
            ),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                condition=models.Q(("parent__isnull", False)), fields=["parent"], name="case_parent"
            ),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                condition=models.Q(("reporter__isnull", False)),
                fields=["reporter"],
                name="case_reporter",
            ),
        ),
        migrations.AddIndex(
            model_name="caseevent",
            index=models.Index(
                condition=models.Q(("actor__isnull", False)), fields=["actor"], name="event_actor"
            ),
        ),
        migrations.AddIndex(
            model_name="caseevent",
            index=models.Index(
                condition=models.Q(("from_unit__isnull", False)),
                fields=["from_unit"],
                name="event_from_unit",
            ),
        ),
        migrations.AddIndex(
            model_name="outbox",
            index=models.Index(
                condition=models.Q(("to_user__isnull", False)),
                fields=["to_user"],
                name="outbox_to_user",
            ),
        ),
        migrations.AddConstraint(
            model_name="outbox",
            constraint=models.UniqueConstraint(fields=("dedupe_key",), name="outbox_dedupe_key"),
        ),
        # the SQLite table remake above dropped the text-search triggers (no-op on PostgreSQL)
        migrations.RunPython(_fts.forwards, migrations.RunPython.noop),
    ]
