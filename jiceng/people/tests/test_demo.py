"""The demo builder works on whatever grids exist and fills the demo grid worker's grid."""

import pytest

from jiceng.core.demo import DemoContext
from jiceng.lib import idcard
from jiceng.people import demo
from jiceng.people.models import CareTag, Household, Resident, Visit
from jiceng.testing import client_for


@pytest.mark.django_db
def test_the_demo_fills_every_level_3_grid_with_valid_fictitious_people(users, territory):
    ctx = DemoContext(scale=1.0)
    demo.build(ctx)
    grids = {territory.grid3a.code, territory.grid3b.code}
    assert set(Household.objects.values_list("grid_code", flat=True)) == grids
    assert Household.objects.count() == 50  # the households the territory says each grid has
    assert Household.objects.filter(colour="").count() == 0
    numbers = list(Resident.objects.values_list("id_number", flat=True))
    assert len(numbers) == len(set(numbers)) > 50
    assert all(idcard.is_valid(n) for n in numbers)
    assert CareTag.objects.exists() and Visit.objects.exists()
    # the grid worker of grid3a sees households of their grid at once
    body = client_for(users.grid_worker).get("/api/v1/people/households").json()
    assert body["total"] == 25


@pytest.mark.django_db
def test_the_demo_reaches_ankang_proportions_on_a_larger_territory(territory):
    from jiceng.territory.models import Level, Region

    parent = territory.grid2
    Region.objects.bulk_create(
        [
            Region(
                code=f"{parent.code}{k:03d}",
                name=f"测试网格{k}",
                level=Level.GRID,
                parent=parent,
                grid_level=3,
                households=40,
            )
            for k in range(3, 60)
        ]
    )
    demo.build(DemoContext())
    n = Household.objects.count()
    share = {c: Household.objects.filter(colour=c).count() / n for c in ("green", "yellow", "red")}
    assert 0.78 < share["green"] < 0.88
    assert 0.08 < share["yellow"] < 0.15
    assert 0.03 < share["red"] < 0.08


@pytest.mark.django_db
def test_the_demo_registers_buildings_in_urban_communities_and_organisations(users, territory):
    from jiceng.lib import creditcode
    from jiceng.people.models import Building, Organisation

    demo.build(DemoContext())
    assert Building.objects.filter(grid_code__startswith=territory.village1.code).exists()  # urban
    assert Household.objects.filter(room__isnull=False).exists()
    orgs = Organisation.objects.exclude(credit_code="")
    assert orgs.exists() and all(creditcode.normalise(o.credit_code) for o in orgs)
    body = client_for(users.street).get("/api/v1/people/buildings").json()
    assert body["total"] >= 1 and body["items"][0]["households"] >= 1
