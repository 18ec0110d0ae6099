"""The assessment part of the demo builds last month's cases with drawn times; built just
after a month starts, none of those times may lie after now (a case "closed" next week
counted in today's figures on the wall and showed a history in the future)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

pytestmark = pytest.mark.django_db


def test_demo_built_on_the_first_has_no_times_after_now(territory):
    from django.db.models import Q
    from django.utils import timezone

    from jiceng.accounts import demo as accounts_demo
    from jiceng.assessment import demo as assessment_demo
    from jiceng.assessment.models import DispatchRating
    from jiceng.cases import demo as cases_demo
    from jiceng.cases.models import Case, CaseEvent
    from jiceng.core.demo import DemoContext

    at = datetime(2026, 12, 1, 0, 5, tzinfo=ZoneInfo("Asia/Shanghai"))
    with time_machine.travel(at, tick=False):
        ctx = DemoContext(scale=0.2)
        accounts_demo.build(ctx)
        cases_demo.build(ctx)
        assessment_demo.build(ctx)
        now = timezone.now()
        assert Case.objects.filter(created_at__lt=at.replace(day=1)).exists()
        later = Q()
        for f in ("registered_at", "dispatched_at", "first_response_at", "handled_at",
                  "closed_at", "rated_at"):  # fmt: skip
            later |= Q(**{f"{f}__gt": now})
        assert list(Case.objects.filter(later).values_list("number", flat=True)) == []
        assert not CaseEvent.objects.filter(at__gt=now).exists()
        assert not DispatchRating.objects.filter(at__gt=now).exists()
        # last month still has closed cases to rank, and some late ones still in hand
        last = Case.objects.filter(created_at__gte=datetime(2026, 11, 1, tzinfo=at.tzinfo),
                                   created_at__lt=at)  # fmt: skip
        assert last.filter(status="closed").exists()
        assert last.exclude(status__in=["closed", "archived"]).exists()
