"""Test helpers shared by every app's tests (imported by the root conftest)."""

from __future__ import annotations

from types import SimpleNamespace

from django.test import Client

from jiceng.accounts.models import Role, Unit, UnitKind, User
from jiceng.territory.models import Level, Region, RegionKind

PASSWORD = "test-password-2026"


def _square(lon: float, lat: float, size: float) -> dict:
    return {
        "type": "Polygon",
        "coordinates": [
            [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
        ],
    }


def _region(code, name, level, parent=None, kind="", boundary=None, **extra) -> Region:
    bbox = {}
    if boundary:
        ring = boundary["coordinates"][0]
        xs = [p[0] for p in ring]
        ys = [p[1] for p in ring]
        bbox = dict(min_lon=min(xs), max_lon=max(xs), min_lat=min(ys), max_lat=max(ys))
    return Region.objects.create(
        code=code,
        name=name,
        level=level,
        parent=parent,
        kind=kind,
        boundary=boundary,
        **bbox,
        **extra,
    )


def build_small_territory() -> SimpleNamespace:
    """A tiny but real-shaped tree; squares of 0.01° so point tests are easy to reason about.

    汉阴县 610921 ─┬ 城关镇 610921001 ─┬ 城关社区 610921001001 ─ grid1 …001 ─ grid2 …001001 ─ grid3 …001001001 / …001001002
                 │                 └ 五一村 610921001002
                 └ 涧池镇 610921002 ── 双河口村 610921002001
    another county 610922 (石泉县) with one town and one village: the outsiders' territory.
    """
    p = _region("61", "陕西省", Level.PROVINCE)
    c = _region("6109", "安康市", Level.CITY, p)
    county = _region("610921", "汉阴县", Level.COUNTY, c, boundary=_square(108.40, 32.80, 0.2))
    town1 = _region(
        "610921001",
        "城关镇",
        Level.STREET,
        county,
        RegionKind.TOWN,
        boundary=_square(108.40, 32.80, 0.1),
    )
    town2 = _region(
        "610921002",
        "涧池镇",
        Level.STREET,
        county,
        RegionKind.TOWN,
        boundary=_square(108.50, 32.80, 0.1),
    )
    v1 = _region(
        "610921001001",
        "城关社区",
        Level.VILLAGE,
        town1,
        RegionKind.COMMUNITY,
        boundary=_square(108.40, 32.80, 0.05),
        urban=True,
    )
    v2 = _region(
        "610921001002",
        "五一村",
        Level.VILLAGE,
        town1,
        RegionKind.VILLAGE,
        boundary=_square(108.45, 32.80, 0.05),
        urban=False,
    )
    v3 = _region(
        "610921002001",
        "双河口村",
        Level.VILLAGE,
        town2,
        RegionKind.VILLAGE,
        boundary=_square(108.50, 32.80, 0.05),
        urban=False,
    )
    g1 = _region(
        "610921001001001",
        "城关社区一级网格",
        Level.GRID,
        v1,
        RegionKind.COMPREHENSIVE,
        boundary=_square(108.40, 32.80, 0.05),
        grid_level=1,
        households=50,
    )
    g2 = _region(
        "610921001001001001",
        "城关社区第1二级网格",
        Level.GRID,
        g1,
        RegionKind.COMPREHENSIVE,
        boundary=_square(108.40, 32.80, 0.02),
        grid_level=2,
        households=50,
    )
    g3a = _region(
        "610921001001001001001",
        "城关社区第1网格",
        Level.GRID,
        g2,
        RegionKind.COMPREHENSIVE,
        boundary=_square(108.40, 32.80, 0.01),
        grid_level=3,
        households=25,
    )
    g3b = _region(
        "610921001001001001002",
        "城关社区第2网格",
        Level.GRID,
        g2,
        RegionKind.COMPREHENSIVE,
        boundary=_square(108.41, 32.80, 0.01),
        grid_level=3,
        households=25,
    )
    g_v3 = _region(
        "610921002001001",
        "双河口村一级网格",
        Level.GRID,
        v3,
        RegionKind.COMPREHENSIVE,
        boundary=_square(108.50, 32.80, 0.05),
        grid_level=1,
        households=30,
    )
    other_county = _region(
        "610922", "石泉县", Level.COUNTY, c, boundary=_square(108.10, 32.90, 0.2)
    )
    other_town = _region("610922001", "城关镇", Level.STREET, other_county, RegionKind.TOWN)
    other_village = _region(
        "610922001001", "红星社区", Level.VILLAGE, other_town, RegionKind.COMMUNITY
    )
    return SimpleNamespace(
        province=p,
        city=c,
        county=county,
        town1=town1,
        town2=town2,
        village1=v1,
        village2=v2,
        village3=v3,
        grid1=g1,
        grid2=g2,
        grid3a=g3a,
        grid3b=g3b,
        grid_v3=g_v3,
        other_county=other_county,
        other_town=other_town,
        other_village=other_village,
    )


def make_user(
    username: str, role: str, scope: Region | None = None, unit: Unit | None = None, **extra
) -> User:
    user = User(
        username=username,
        role=role,
        scope=scope,
        unit=unit,
        full_name=extra.pop("full_name", username),
        **extra,
    )
    user.set_password(PASSWORD)
    user.save()
    return user


def build_users(t: SimpleNamespace) -> SimpleNamespace:
    dept = Unit.objects.create(
        code="610921-zjj", name="汉阴县住房和城乡建设局", kind=UnitKind.DEPARTMENT, region=t.county
    )
    other_dept = Unit.objects.create(
        code="610921-sw", name="汉阴县水利局", kind=UnitKind.DEPARTMENT, region=t.county
    )
    return SimpleNamespace(
        dept=dept,
        other_dept=other_dept,
        resident=make_user("resident", Role.RESIDENT, None, phone="13800000001"),
        grid_worker=make_user("gridworker", Role.GRID_WORKER, t.grid3a),
        community=make_user("community", Role.COMMUNITY_STAFF, t.village1),
        street=make_user("street", Role.STREET_DISPATCHER, t.town1),
        department=make_user("department", Role.DEPARTMENT_HANDLER, t.county, unit=dept),
        district=make_user("district", Role.DISTRICT_ADMIN, t.county),
        auditor=make_user("auditor", Role.AUDITOR, t.county),
        # Outsiders: same roles, another territory.
        other_street=make_user("otherstreet", Role.STREET_DISPATCHER, t.town2),
        other_district=make_user("otherdistrict", Role.DISTRICT_ADMIN, t.other_county),
        other_department=make_user("otherdept", Role.DEPARTMENT_HANDLER, t.county, unit=other_dept),
        no_scope=make_user("noscope", Role.STREET_DISPATCHER, None),
    )


def client_for(user: User) -> Client:
    c = Client()
    c.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return c


def wait_js(page, expression: str, timeout_ms: int = 15000) -> None:
    """Wait until a JavaScript expression is truthy on the page.

    Playwright's `wait_for_function` compiles its predicate inside the page, which the
    Content-Security-Policy (no 'unsafe-eval') forbids; `page.evaluate` runs through the
    debugging protocol and is allowed, so poll with it instead.
    """
    import time

    deadline = time.monotonic() + timeout_ms / 1000
    while True:
        if page.evaluate(expression):
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for: {expression}")
        page.wait_for_timeout(50)


def invalid_filter(r, params) -> dict:
    """Assert the API's answer to filter values outside their choices (decisions 0100,
    0103): a 400 `invalid_filter` with one `details` entry per parameter, in order; returns
    the error body."""
    assert r.status_code == 400, r.content
    err = r.json()["error"]
    assert err["code"] == "invalid_filter"
    assert [d["loc"] for d in err["details"]] == [["query", p] for p in params]
    for d in err["details"]:
        # the choices named: "可选：…", or the top of the category tree ("一级分类有：…")
        assert d["type"] == "invalid_choice" and ("可选" in d["msg"] or "一级分类有" in d["msg"])
    return err
