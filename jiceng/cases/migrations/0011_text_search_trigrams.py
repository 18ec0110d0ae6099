"""Trigram indexes for the text search of titles and descriptions, on PostgreSQL only
(docs/decisions/0049-perf-text-search.md). `pg_trgm` is a trusted contrib extension
(PostgreSQL ≥ 13): the database owner may create it. On SQLite nothing is done."""

from django.db import migrations

INDEXES = (
    ("case_title_trgm", "title"),
    ("case_description_trgm", "description"),
)


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, column in INDEXES:
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS {name} ON cases_case USING gin ("{column}" gin_trgm_ops)'
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _column in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("cases", "0010_intakekey")]

    operations = [migrations.RunPython(forwards, backwards)]
