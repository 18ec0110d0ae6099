from __future__ import annotations

from types import SimpleNamespace

import pytest

from jiceng.accounts.models import Role
from jiceng.community.models import Membership
from jiceng.testing import make_user


@pytest.fixture
def people(users, territory):
    """Residents of village1 (城关社区) and of village2 (五一村, the outsider), members."""
    r1 = users.resident
    Membership.objects.create(user=r1, village_code=territory.village1.code, household_rep=True)
    r2 = make_user("resident2", Role.RESIDENT, None, phone="13800000002")
    Membership.objects.create(user=r2, village_code=territory.village2.code, household_rep=True)
    r3 = make_user("resident3", Role.RESIDENT, None, phone="13800000003")
    Membership.objects.create(user=r3, village_code=territory.village1.code, household_rep=True)
    return SimpleNamespace(resident=r1, other_resident=r2, neighbour=r3)


@pytest.fixture(autouse=True)
def _fresh_calendar():
    """The working-day calendar is cached per process; tests start from the database."""
    from jiceng.cases import deadlines

    deadlines.invalidate()
    yield
    deadlines.invalidate()
