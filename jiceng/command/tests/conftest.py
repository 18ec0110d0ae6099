from __future__ import annotations

from types import SimpleNamespace

import pytest

from jiceng.accounts.models import Unit, UnitKind


@pytest.fixture
def units(territory, users):
    """The territorial centres of the small territory."""
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
        village3=mk(
            code=t.village3.code, name="双河口村委会", kind=UnitKind.COMMUNITY, region=t.village3
        ),
        dept=users.dept,
    )


@pytest.fixture
def cats(units):
    from jiceng.cases.models import Category

    road = Category.objects.create(
        code="1001", name="道路破损", path="城乡建设/道路破损", limit_amount=3, limit_unit="days"
    )
    litter = Category.objects.create(
        code="1002",
        name="垃圾堆放",
        path="城乡建设/垃圾堆放",
        limit_amount=20,
        limit_unit="hours",
        grid_can_fix=True,
    )
    return SimpleNamespace(road=road, litter=litter)


@pytest.fixture(autouse=True)
def _fresh_maps(request):
    """The cases app keeps centres/limits in process maps that outlive rolled-back rows."""
    from jiceng.cases import deadlines, services
    from jiceng.command import tracks

    tracks.forget_county_box()
    deadlines.invalidate()
    services.forget_centres()
    services.forget_limits()
    yield
    services.forget_centres()
    services.forget_limits()


# Points inside the small territory's squares (jiceng/testing.py)
IN_GRID3A = (108.405, 32.805)  # 城关镇 / 城关社区 / grid3a
IN_TOWN2 = (108.52, 32.82)  # 涧池镇 / 双河口村


@pytest.fixture
def intake(django_capture_on_commit_callbacks):
    """intake(**kw) → Case, with the after-commit signal delivered and the rollup queue
    flushed (the rollups follow, as the server's thread applies them ~0.1 s later)."""
    from jiceng.cases import services
    from jiceng.command import rollup_queue

    def _intake(**kw):
        kw.setdefault("request_type", "complaint")
        kw.setdefault("category", None)
        kw.setdefault("description", "路灯不亮已经三天了")
        with django_capture_on_commit_callbacks(execute=True):
            case = services.intake(**kw)
        rollup_queue.flush()
        return case

    return _intake


@pytest.fixture
def move(django_capture_on_commit_callbacks):
    """move(case, name, user, **kw) → the transition's result, rollups flushed."""
    from jiceng.cases import services
    from jiceng.command import rollup_queue

    def _move(case, name, user, **kw):
        with django_capture_on_commit_callbacks(execute=True):
            out = services.transition(case, name, user=user, **kw)
        rollup_queue.flush()
        return out

    return _move


@pytest.fixture(autouse=True)
def rollups():
    """The command centre's rollup queue as servers use it, without its thread: a case is
    queued after commit and applied by `rollups.flush()` (decision 0075). Emptied before
    and after each test (a rolled-back test's cases must not reach the next one)."""
    from jiceng.command import rollup_queue

    with rollup_queue.manual_mode():
        yield rollup_queue
