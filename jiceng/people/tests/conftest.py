"""A few households written through the real services, in and out of each user's territory."""

from datetime import date
from types import SimpleNamespace

import pytest

from jiceng.lib import idcard
from jiceng.people import services
from jiceng.territory.models import Level, Region


def _id(n: int, born=date(1950, 3, 4)) -> str:
    return idcard.make("610921", born, n)


@pytest.fixture
def people(users, territory):
    t, u = territory, users

    def household(user, grid, number, head, phone, **extra):
        h = services.create_household(
            user,
            {
                "number": number,
                "grid_code": grid.code,
                "address": f"{grid.name}5组17号",
                "annual_income": extra.pop("income", 36000),
                "safe_family_years": extra.pop("safe", 3),
            },
        )
        r = services.create_resident(
            user,
            {
                "household_id": h.id,
                "name": head[0],
                "id_number": head[1],
                "relation": "head",
                "phone": phone,
                "address": f"{grid.name}5组17号",
            },
        )
        return h, r

    h1, r1 = household(u.district, t.grid3a, "HY-A-001", ("张秀兰", _id(11)), "13991510001")
    spouse = services.create_resident(
        u.district,
        {
            "household_id": h1.id,
            "name": "王德福",
            "id_number": _id(13, date(1948, 7, 9)),
            "relation": "spouse",
            "phone": "13991510002",
        },
    )
    h2, r2 = household(u.district, t.grid3b, "HY-B-001", ("李建国", _id(21)), "13991520001")
    h3, r3 = household(u.district, t.grid_v3, "HY-C-001", ("赵春梅", _id(31)), "13991530001")
    other_grid = Region.objects.create(
        code=t.other_village.code + "001",
        name="红星社区第1网格",
        level=Level.GRID,
        parent=t.other_village,
        grid_level=1,
    )
    h4, r4 = household(
        u.other_district,
        other_grid,
        "SQ-001",
        ("陈海", idcard.make("610922", date(1960, 1, 1), 41)),
        "13991540001",
    )
    for h in (h1, h2, h3, h4):
        h.refresh_from_db()
    return SimpleNamespace(h1=h1, r1=r1, spouse=spouse, h2=h2, r2=r2, h3=h3, r3=r3, h4=h4, r4=r4)
