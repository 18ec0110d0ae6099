"""The demo county: 汉阴县 from the shipped data, grids in three levels, staff."""

from __future__ import annotations

import pytest
import shapely

from jiceng.core.demo import DemoContext
from jiceng.territory import demo, locate
from jiceng.territory.models import GridStaff, Level, Region, RegionKind


def build(scale=0.1, seed=610921):
    ctx = DemoContext(seed=seed, scale=scale)
    demo.build(ctx)
    return ctx


def fingerprint():
    return [
        (r.code, r.name, r.households, r.population, r.min_lon)
        for r in Region.objects.order_by("code")
    ] + list(
        GridStaff.objects.order_by("grid__code", "role", "name").values_list(
            "grid__code", "role", "name", "phone"
        )
    )


def wipe():
    GridStaff.objects.all().delete()
    by_length: dict[int, list[int]] = {}
    for pk, code in Region.objects.values_list("pk", "code"):
        by_length.setdefault(len(code), []).append(pk)
    for length in sorted(by_length, reverse=True):  # children first: parents are protected
        Region.objects.filter(pk__in=by_length[length]).delete()


@pytest.mark.django_db
def test_the_demo_county_has_the_real_towns_and_villages_of_hanyin():
    build()
    county = Region.objects.get(code="610921")
    assert county.name == "汉阴县"
    assert county.children.count() == 10
    assert Region.objects.filter(level=Level.VILLAGE).count() == 160
    assert Region.objects.get(code="610921100").name == "城关镇"
    # Every town and village has an area, and the towns tile the county.
    outline = shapely.geometry.shape(county.boundary)
    towns = [shapely.geometry.shape(t.boundary) for t in county.children.all()]
    assert abs(sum(t.area for t in towns) - outline.area) / outline.area < 1e-3
    assert not Region.objects.filter(level=Level.VILLAGE, boundary__isnull=True).exists()


@pytest.mark.django_db
def test_grids_come_in_three_levels_with_staff_on_each():
    build()
    grids = Region.objects.filter(level=Level.GRID)
    assert set(grids.values_list("grid_level", flat=True)) == {1, 2, 3}
    assert grids.filter(kind=RegionKind.DEDICATED, code__under="610921100").count() == 3
    for g in grids.filter(grid_level=3, kind=RegionKind.COMPREHENSIVE)[:50]:
        assert g.staff.filter(role="grid_worker").count() == 1
        assert g.code.startswith(g.parent.code) and len(g.code) == 21
    assert GridStaff.objects.filter(role="supervisor").count() == 10
    phone = GridStaff.objects.first().phone
    assert len(phone) == 11 and phone.startswith("1")
    # A level-3 grid's point is located back to it.
    one = grids.filter(grid_level=3).first()
    p = shapely.geometry.shape(one.boundary).representative_point()
    assert locate.locate(p.x, p.y).grid_code == one.code


@pytest.mark.django_db
def test_households_add_up_and_only_a_few_grids_break_the_sizing_rule():
    build(scale=1.0)
    county = Region.objects.get(code="610921")
    assert 85_000 < county.households < 105_000
    assert 260_000 < county.population < 330_000
    towns = county.children.all()
    assert sum(t.households for t in towns) == county.households
    from jiceng.territory.sizing import exceptions

    outside = sum(len(s.exceptions) for s in exceptions(under="610921"))
    checked = sum(s.checked for s in exceptions(under="610921"))
    assert checked > 2000 and 1 <= outside <= 0.03 * checked


@pytest.mark.django_db
def test_the_same_seed_gives_the_same_county():
    build(scale=0.05)
    first = fingerprint()
    wipe()
    build(scale=0.05)
    assert fingerprint() == first
    wipe()
    build(scale=0.05, seed=1)
    assert fingerprint() != first
