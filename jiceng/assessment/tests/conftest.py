"""Hand-made cases with exactly the facts a test counts (test data, like the bench's
generator: rows written straight, so each fact is known by construction)."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

TZ = ZoneInfo("Asia/Shanghai")
_seq = itertools.count(1)


def at(day: int, hour: int = 9, month: int = 10, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, 0, tzinfo=TZ)


def make_case(region_code: str, created: datetime, **kw):
    from jiceng.cases.models import Case

    n = next(_seq)
    closed = kw.get("status", "closed") in ("closed", "archived")
    values = dict(
        number=f"610921-{created:%Y%m%d}-{n:04d}",
        channel="hotline",
        request_type="complaint",
        title=f"测试诉求{n}",
        description="测试诉求内容",
        region_code=region_code,
        status="closed",
        level=3,
        created_at=created,
        registered_at=created,
        deadline=created + timedelta(days=7),
        dispatched_at=created + timedelta(minutes=30),
        first_response_at=created + timedelta(hours=2),
    )
    values.update(kw)
    if closed:
        values.setdefault("closed_at", created + timedelta(days=2))
        values.setdefault("handled_at", values["closed_at"])
        values.setdefault("closed_level", values["level"])
        values.setdefault("closed_on_time", values["closed_at"] <= values["deadline"])
    return Case.objects.create(**values)


@pytest.fixture
def calendar_2026(db):
    from jiceng.cases import deadlines
    from jiceng.cases.models import CalendarYear

    CalendarYear.objects.get_or_create(year=2026)
    deadlines.invalidate()
    yield
    deadlines.invalidate()
