"""Text search of titles and descriptions with an index on SQLite too: an FTS5 table with
the trigram tokenizer (SQLite ≥ 3.34), external content (the text is not stored twice),
kept in sync by triggers. On PostgreSQL nothing is done: the pg_trgm indexes of 0011 serve
the same searches (docs/decisions/0054-cases-text-search-fts5.md). An SQLite without FTS5 or
the trigram tokenizer is left as it was: the search then scans (`queries.text_q`)."""

from django.db import migrations

TABLE = "cases_case_fts"

CREATE = [
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {TABLE} USING fts5(title, description, "
    "content='cases_case', content_rowid='id', tokenize='trigram')",
    f"""CREATE TRIGGER IF NOT EXISTS {TABLE}_ai AFTER INSERT ON cases_case BEGIN
        INSERT INTO {TABLE}(rowid, title, description)
        VALUES (new.id, new.title, new.description);
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS {TABLE}_ad AFTER DELETE ON cases_case BEGIN
        INSERT INTO {TABLE}({TABLE}, rowid, title, description)
        VALUES ('delete', old.id, old.title, old.description);
    END""",
    # only when the text changed: a move saves the whole row, and must not rewrite the index
    f"""CREATE TRIGGER IF NOT EXISTS {TABLE}_au AFTER UPDATE OF title, description ON cases_case
    WHEN old.title IS NOT new.title OR old.description IS NOT new.description BEGIN
        INSERT INTO {TABLE}({TABLE}, rowid, title, description)
        VALUES ('delete', old.id, old.title, old.description);
        INSERT INTO {TABLE}(rowid, title, description)
        VALUES (new.id, new.title, new.description);
    END""",
    f"INSERT INTO {TABLE}({TABLE}) VALUES ('rebuild')",
]


def has_trigram_fts5(connection) -> bool:
    with connection.cursor() as cur:
        try:
            cur.execute("CREATE VIRTUAL TABLE temp.jc_fts5_probe USING fts5(x, tokenize='trigram')")
        except Exception:  # noqa: BLE001 — no FTS5, or a tokenizer this SQLite lacks
            return False
        cur.execute("DROP TABLE temp.jc_fts5_probe")
    return True


def forwards(apps, schema_editor):
    conn = schema_editor.connection
    if conn.vendor != "sqlite" or not has_trigram_fts5(conn):
        return
    for sql in CREATE:
        schema_editor.execute(sql)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    for suffix in ("ai", "ad", "au"):
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {TABLE}_{suffix}")
    schema_editor.execute(f"DROP TABLE IF EXISTS {TABLE}")


class Migration(migrations.Migration):
    dependencies = [("cases", "0011_text_search_trigrams")]

    operations = [migrations.RunPython(forwards, backwards)]
