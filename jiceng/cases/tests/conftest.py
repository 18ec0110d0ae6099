from __future__ import annotations

from types import SimpleNamespace

import pytest

from jiceng.accounts.models import Unit, UnitKind


@pytest.fixture
def units(territory, users):
    """The territorial centres of the small territory and two departments."""
    t = territory
    mk = Unit.objects.create
    return SimpleNamespace(
        county=mk(
            code=t.county.code, name="汉阴县综治中心", kind=UnitKind.DISTRICT, region=t.county
        ),
        town1=mk(code=t.town1.code, name="城关镇综治中心", kind=UnitKind.STREET, region=t.town1),
        town2=mk(code=t.town2.code, name="涧池镇综治中心", kind=UnitKind.STREET, region=t.town2),
        village1=mk(
            code=t.village1.code, name="城关社区居委会", kind=UnitKind.COMMUNITY, region=t.village1
        ),
        dept=users.dept,
        other_dept=users.other_dept,
    )


@pytest.fixture
def cats(units):
    from jiceng.cases.models import Category, DispatchRule

    root = Category.objects.create(code="10", name="城乡建设", path="城乡建设")
    road = Category.objects.create(
        code="1001",
        name="道路破损",
        parent=root,
        depth=2,
        path="城乡建设/道路破损",
        limit_amount=3,
        limit_unit="workdays",
        grid_can_fix=False,
    )
    litter = Category.objects.create(
        code="1002",
        name="垃圾堆放",
        parent=root,
        depth=2,
        path="城乡建设/垃圾堆放",
        limit_amount=2,
        limit_unit="days",
        grid_can_fix=True,
    )
    water = Category.objects.create(
        code="20",
        name="停水",
        path="停水",
        limit_amount=24,
        limit_unit="hours",
        extra_fields=[
            {"code": "households", "label": "影响户数", "datatype": "number", "required": True},
            {
                "code": "kind",
                "label": "类型",
                "datatype": "singlevaluelist",
                "values": [{"key": "a", "name": "计划停水"}, {"key": "b", "name": "突发停水"}],
            },
        ],
    )
    DispatchRule.objects.create(category=root, region_prefix="", lead_unit=units.dept)
    return SimpleNamespace(root=root, road=road, litter=litter, water=water)


@pytest.fixture
def in_grid():
    """A point inside 城关社区第1网格 (grid3a)."""
    return {"lon": 108.405, "lat": 32.805}


@pytest.fixture(autouse=True)
def _calendar(request):
    """The seeded calendar (a data migration) is flushed by transactional tests: re-seed."""
    if "django_db_setup" not in request.fixturenames and not any(
        m.name == "django_db" for m in request.node.iter_markers()
    ):
        yield
        return
    request.getfixturevalue("django_db_setup")
    from jiceng.cases import deadlines
    from jiceng.cases.calendar_seed import seed
    from jiceng.cases.models import CalendarDay, CalendarYear

    if any(m.name == "django_db" for m in request.node.iter_markers()):
        if not CalendarYear.objects.exists():
            seed(CalendarYear, CalendarDay)
    from jiceng.cases import services

    deadlines.invalidate()
    # the in-process maps of centres and limits outlive a rolled-back test's rows
    services.forget_centres()
    services.forget_limits()
    yield
    deadlines.invalidate()
    services.forget_centres()
    services.forget_limits()


@pytest.fixture(autouse=True)
def rollups():
    """The command centre's rollup queue as servers use it, without its thread: a case is
    queued after commit and applied by `rollups.flush()` (decision 0075). Emptied before
    and after each test (a rolled-back test's cases must not reach the next one)."""
    from jiceng.command import rollup_queue

    with rollup_queue.manual_mode():
        yield rollup_queue
