"""Indexes for the lists at county scale (issue 11 part 3,
docs/decisions/0078-cases-lists-keyset-and-indexes.md).

- `case_region_prefix` replaces `case_region_status`: the same columns, with
  varchar_pattern_ops on the code, so a scope's `region_code LIKE '610921001%'` is an index
  range on PostgreSQL (the databases here use the C.UTF-8 collation, which PostgreSQL
  does not treat as "C": a plain B-tree serves no LIKE).
- `case_taken_by`: the "or taken in by me" half of a scoped user's lists.
- `case_open_deadline`, `case_visit_deadline`: partial (deadline, id) indexes for the
  queue's tabs in deadline order — the open work (the states of workflow.OPEN_STATES,
  written out here: a change of those states needs a new migration) and the return
  visits due (closed or archived, not rated).

On PostgreSQL the indexes are built CONCURRENTLY (writes — intake — go on during the
build; the migration is therefore not atomic: a failed build leaves an INVALID index that
`DROP INDEX` removes before a retry). On SQLite a plain CREATE/DROP INDEX.
"""

from django.contrib.postgres.operations import AddIndexConcurrently, RemoveIndexConcurrently
from django.db import migrations, models
from django.db.migrations.operations import AddIndex, RemoveIndex


class AddIndexOnline(AddIndexConcurrently):
    """CREATE INDEX CONCURRENTLY on PostgreSQL; a plain CREATE INDEX elsewhere."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        return AddIndex.database_forwards(self, app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_backwards(app_label, schema_editor, from_state, to_state)
        return AddIndex.database_backwards(self, app_label, schema_editor, from_state, to_state)


class RemoveIndexOnline(RemoveIndexConcurrently):
    """DROP INDEX CONCURRENTLY on PostgreSQL; a plain DROP INDEX elsewhere."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        return RemoveIndex.database_forwards(self, app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_backwards(app_label, schema_editor, from_state, to_state)
        return RemoveIndex.database_backwards(self, app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [("cases", "0012_text_search_fts5_sqlite")]

    operations = [
        AddIndexOnline(
            model_name="case",
            index=models.Index(
                fields=["region_code", "status"],
                opclasses=["varchar_pattern_ops", "varchar_ops"],
                name="case_region_prefix",
            ),
        ),
        RemoveIndexOnline(model_name="case", name="case_region_status"),
        AddIndexOnline(
            model_name="case",
            index=models.Index(fields=["taken_by", "created_at"], name="case_taken_by"),
        ),
        AddIndexOnline(
            model_name="case",
            index=models.Index(
                fields=["deadline", "id"],
                condition=models.Q(
                    status__in=[
                        "dispatched",
                        "handled",
                        "handling",
                        "pause_requested",
                        "paused",
                        "registered",
                        "reported",
                        "returned",
                    ]
                ),
                name="case_open_deadline",
            ),
        ),
        AddIndexOnline(
            model_name="case",
            index=models.Index(
                fields=["deadline", "id"],
                condition=models.Q(status__in=["archived", "closed"], rated_at=None),
                name="case_visit_deadline",
            ),
        ),
    ]
