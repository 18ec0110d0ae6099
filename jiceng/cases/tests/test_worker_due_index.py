"""The worker's due queries read their own partial indexes (decision 0079): a pass with
nothing due is an empty index range, not a scan of every watched case's status entry
followed by a sort. Checked on PostgreSQL, with sequential scans priced out (the test
tables are tiny)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection

from jiceng.cases import worker


def _plan(qs) -> str:
    with connection.cursor() as cur:
        cur.execute("SET enable_seqscan = off")
        try:
            return str(qs.explain())
        finally:
            cur.execute("SET enable_seqscan = on")


@pytest.mark.django_db
@pytest.mark.postgres
@pytest.mark.parametrize(
    ("kind", "index"), [("red", "case_red_todo"), ("yellow", "case_yellow_todo")]
)
def test_the_due_query_of_each_card_reads_its_partial_index(kind, index):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL plans")
    plan = _plan(worker._due(kind, datetime(2026, 11, 2, 1, 30, tzinfo=UTC)))
    assert index in plan, plan
    assert "Sort" not in plan, plan  # the index gives the order the worker claims in


def _written_indexes(table: str, where: str, params: list) -> set[str]:
    """The indexes of `table` a new version of the rows matching `where` goes into: every
    index whose predicate holds for them (a non-HOT update writes each of those)."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT c.relname, pg_get_expr(i.indpred, i.indrelid) FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = %s::regclass",
            [table],
        )
        out = set()
        for name, pred in cur.fetchall():
            cur.execute(
                f"SELECT count(*) FROM {table} WHERE ({where}) AND ({pred or 'true'})", params
            )
            if cur.fetchone()[0]:
                out.add(name)
        return out


@pytest.mark.django_db
@pytest.mark.postgres
def test_a_red_card_writes_no_index_of_a_column_empty_on_open_cases(users, cats):
    """Decision 0090: a card is no HOT update, so its row goes into every index whose
    predicate holds. Columns empty on every open case (return visit due, parent, reporter)
    are indexed only where set; the events' and outbox's redundant indexes are gone."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL indexes")
    from datetime import timedelta

    from django.utils import timezone

    from jiceng.cases import services
    from jiceng.cases.models import Case

    c = services.intake(
        channel="hotline",
        request_type="complaint",
        category=cats.road,
        description="路面破损需要修补",
        user=users.street,
        lon=108.405,
        lat=32.805,
    )
    c = services.transition(c, "dispatch", user=users.street)
    now = timezone.now()
    Case.objects.filter(pk=c.pk).update(
        yellow_at=now - timedelta(hours=5), deadline=now - timedelta(minutes=5)
    )
    assert worker.run_pass(now=now, send=False)["red"] == 1
    written = _written_indexes("cases_case", "id = %s", [c.pk])
    with connection.cursor() as cur:
        cur.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'cases_case' AND "
            "(indexdef LIKE '%%(visit_due_at)%%' OR indexdef LIKE '%%(parent_id)%%' "
            "OR indexdef LIKE '%%(reporter_id)%%')"
        )
        defs = [r[0] for r in cur.fetchall()]
        cur.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename IN ('cases_caseevent', "
            "'cases_outbox') ORDER BY 1"
        )
        event_outbox = [r[0] for r in cur.fetchall()]
    assert len(defs) == 3 and all("IS NOT NULL" in d for d in defs), defs
    assert not written & {"case_visit_due", "case_parent", "case_reporter"}, written
    assert len(written) <= 20, sorted(written)
    # the card's event (no actor, no from-unit) goes into four indexes, its notifications
    # into five (two per red card: the supervisor and the unit)
    event = _written_indexes("cases_caseevent", "case_id = %s AND move = 'supervise'", [c.pk])
    assert len(event) == 4, sorted(event)
    note = _written_indexes("cases_outbox", "case_id = %s AND kind = 'supervise'", [c.pk])
    assert len(note) == 5, sorted(note)
    assert not [n for n in event_outbox if n.endswith("_like")], event_outbox
