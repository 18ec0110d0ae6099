"""The worker's card-only path (decision 0080) gives exactly what the long way gave: the
same cards, events, notifications, command-centre rollups (equal to a rebuild from the
cases, `command-sync --rebuild`), wall announcements and assessment facts — with the
rollups touching only the cases a card moved (a grid's red card up to its community)."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from jiceng.cases import history, worker
from jiceng.cases.models import Case, CaseEvent, Outbox
from jiceng.command import rollup
from jiceng.command.models import LiveEvent
from jiceng.command.tests.test_rollup import _random_series, _rollup_rows

pytestmark = pytest.mark.django_db


class _Undo(Exception):
    pass


def _rows(rows) -> set[str]:
    return {repr(r) for r in rows}  # some columns are JSON lists


def _state() -> dict[str, Any]:
    """Everything the pass writes that a user or a rollup reads (ids left out: the two
    runs number their rows differently)."""
    from jiceng.assessment.models import CaseFact, DailyRollup

    fact_cols = [f.name for f in CaseFact._meta.fields if f.name not in ("id", "computed_at")]
    day_cols = [f.name for f in DailyRollup._meta.fields if f.name != "id"]
    return {
        "cases": set(
            Case.objects.values_list(
                "pk",
                "card",
                "tier",
                "unit_id",
                "owner_unit_id",
                "supervised_tier",
                "remind_count",
                "escalate_count",
                "version",
            )
        ),  # fmt: skip
        "events": sorted(
            CaseEvent.objects.filter(actor_label="系统").values_list(
                "case_id", "move", "to_unit_id", "tier", "reason"
            )
        ),
        "outbox": set(Outbox.objects.values_list("dedupe_key", "to_unit_id", "kind", "body")),
        "live": sorted(
            (e.kind, e.region_code, e.data["case_id"], e.data["status"])
            for e in LiveEvent.objects.all()
        ),
        "rollups": _rollup_rows(),
        "facts": _rows(CaseFact.objects.values_list(*fact_cols)),
        "days": _rows(DailyRollup.objects.values_list(*day_cols)),
    }


def _pass(later, capture, *, long_way: bool) -> tuple[dict, dict]:
    """One worker pass at `later` with its after-commit work run, and the state after it;
    `long_way`: as before the card-only path (the batch announced without `placed`)."""
    real = history.write_system

    def without_placed(rows, now, *, placed=None, bump=True):
        return real(rows, now, bump=bump)

    if long_way:
        history.write_system = without_placed  # type: ignore[assignment]
    from jiceng.assessment import facts as assessment_facts
    from jiceng.assessment import rollup as assessment_rollup
    from jiceng.assessment.models import DirtyCase

    try:
        with capture(execute=True):
            stats = worker.run_pass(now=later, send=False)
    finally:
        history.write_system = real  # type: ignore[assignment]
    # the batches' after-commit marks came after the pass's plug-in here (one test
    # transaction); in the worker they come first: refresh them as the pass would
    stats["marked"] = DirtyCase.objects.count()
    assessment_facts.refresh_moved(later)
    assessment_rollup.refresh_dirty()
    return stats, _state()


def test_the_card_only_path_gives_what_the_long_way_gave_and_equals_a_rebuild(
    territory, users, units, cats, intake, move, django_capture_on_commit_callbacks
):
    from jiceng.assessment import facts as assessment_facts
    from jiceng.assessment import rollup as assessment_rollup

    rng = random.Random(5)
    _random_series(rng, users, units, cats, intake, move, n_cases=40, n_moves=50)
    now = timezone.now()
    # the rollups and the assessment facts current, as in an installation
    call_command("command_sync", "--rebuild")
    assessment_facts.backfill(now)
    assessment_facts.refresh_moved(now)  # the marks the series' moves left
    assessment_rollup.rebuild_all()
    assessment_facts.refresh_clock(now)
    LiveEvent.objects.all().delete()
    later = now + timedelta(days=9)  # every watched case past its deadline

    try:
        with transaction.atomic():
            old_stats, old = _pass(later, django_capture_on_commit_callbacks, long_way=True)
            raise _Undo
    except _Undo:
        pass
    new_stats, new = _pass(later, django_capture_on_commit_callbacks, long_way=False)

    assert new_stats["red"] == old_stats["red"] > 0
    escalated = {c for c, m, *_ in new["events"] if m == "escalate"}
    assert escalated, "some grid cases were moved up to their community"
    assert new["cases"] == old["cases"]
    assert new["events"] == old["events"]
    assert new["outbox"] == old["outbox"]
    assert new["live"] == old["live"]
    assert {c for _, _, c, _ in new["live"]} == escalated, "only the moved cases announced"
    assert new["rollups"] == old["rollups"]
    assert new["facts"] == old["facts"]
    assert new["days"] == old["days"]
    assert new_stats["marked"] == len(escalated) < old_stats["marked"] == old_stats["red"]
    # the rollups kept are the rollups rebuilt from the cases
    call_command("command_sync", "--rebuild")
    assert _rollup_rows() == new["rollups"]
    # and the day and month rollups those of a rebuild from the facts
    assessment_rollup.rebuild_all()
    assert _state()["days"] == new["days"]
    # the catch-up over the history reads past the cards: nothing left to apply
    assert rollup.catch_up() == 0
