"""Hand-made cases with exactly the facts a test counts (test data, like the bench's
generator: rows written straight, so each fact is known by construction)."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from typing import Any
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
    values: dict[str, Any] = dict(
        number=f"610921-{created:%Y%m%d}-{n:04d}",
        channel="hotline",
        request_type="complaint",
        title=f"测试诉求{n}",
        description="测试诉求内容",
        region_code=region_code,
        status="closed",
        tier=3,
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
        values.setdefault("closed_tier", values["tier"])
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


@pytest.fixture
def october(territory, users, calendar_2026):
    """October 2026 in 汉阴县: hand-counted cases in both towns, a department and a grid
    worker, facts and rollups built. Returns a namespace of the cases by role."""
    from types import SimpleNamespace

    from jiceng.assessment import facts, rollup
    from jiceng.assessment.models import ExclusionMark
    from jiceng.territory.models import GridStaff, StaffRole

    GridStaff.objects.create(grid=territory.grid3a, user=users.grid_worker,
                             role=StaffRole.GRID_WORKER, name="张网格", phone="13900000001")  # fmt: skip
    g, v3 = territory.grid3a.code, territory.grid_v3.code
    dept = users.dept.pk
    ns = SimpleNamespace(
        on_time=make_case(g, at(3), unit_id=dept, satisfaction="satisfied", resolved=True),
        late=make_case(g, at(4), unit_id=dept, closed_at=at(20), handled_at=at(20),
                       closed_on_time=False, satisfaction="unsatisfied", resolved=False),
        paused=make_case(g, at(5), unit_id=dept, status="paused", paused_days=3, closed_at=None,
                         closed_tier=None, closed_on_time=None, handled_at=None),
        litigation=make_case(g, at(6), closed_at=at(30), handled_at=at(30),
                             closed_on_time=False),
        town2_a=make_case(v3, at(7), satisfaction="basic", resolved=True),
        town2_b=make_case(v3, at(8), reopen_count=1),
        september=make_case(g, at(8, month=9), closed_at=at(9, month=9), handled_at=at(9, month=9),
                            closed_on_time=True),
    )  # fmt: skip
    ExclusionMark.objects.create(number=ns.litigation.number, reason="litigation",
                                 note="（2026）陕0921民初1号", by=users.district, at=at(10))  # fmt: skip
    from jiceng.cases.models import Case

    facts.refresh(Case.objects.values_list("pk", flat=True), at(31, 18))
    rollup.refresh_dirty()
    return ns


def _cases(region_code: str, n: int, responded: int, month: int = 10, **kw) -> None:
    """n cases on 3 October (or the 3rd of `month`), the first `responded` answered within
    2 hours (响应), the others never."""
    for i in range(n):
        created = at(3, month=month) + timedelta(minutes=i)
        answer = created + timedelta(hours=2) if i < responded else None
        make_case(region_code, created, first_response_at=answer, **kw)


@pytest.fixture
def hand_counted(territory, users, calendar_2026):
    """Response rates counted by hand (test_sql_ranking): grid workers 66.67, 66.67 (a tie),
    3.13 (1/32, 四舍五入) and one unit without a value; September joined."""
    from jiceng.assessment import facts, rollup
    from jiceng.assessment.models import ExclusionMark
    from jiceng.cases.models import Case
    from jiceng.territory.models import GridStaff, Level, Region, RegionKind, StaffRole

    t = territory
    # a grid of 五一村 (no worker registered)
    g_v2 = Region.objects.create(code="610921001002001", name="五一村一级网格", level=Level.GRID,
                                 kind=RegionKind.COMPREHENSIVE, parent=t.village2, grid_level=1)  # fmt: skip
    # 李网格 works the level-2 grid: the level-3 grids below it count for her
    GridStaff.objects.create(grid=t.grid2, role=StaffRole.GRID_WORKER, name="李网格",
                             phone="13900000002")  # fmt: skip
    _cases(t.grid1.code, 3, 2)  # 2/3 = 66.67
    _cases(t.grid3a.code, 2, 1)  # with grid3b for 李网格: 4/6 = 66.67 (a tie)
    _cases(t.grid3b.code, 4, 3)
    _cases(g_v2.code, 32, 1)  # 1/32 = 3.125 → 四舍五入 3.13
    _cases(t.grid_v3.code, 1, 1)  # excluded below: 涧池镇 has no value
    _cases(t.grid1.code, 1, 1, month=9)  # September: grid1 100, the rest no value
    dup = Case.objects.get(region_code=t.grid_v3.code)
    ExclusionMark.objects.create(number=dup.number, reason="duplicate", note="与另一件重复",
                                 by=users.district, at=at(10))  # fmt: skip
    facts.refresh(Case.objects.values_list("pk", flat=True), at(31, 18))
    rollup.refresh_dirty()
    return g_v2
