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
