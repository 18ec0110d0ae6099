from __future__ import annotations

from types import SimpleNamespace

import pytest

from jiceng.accounts.models import Role
from jiceng.testing import make_user


@pytest.fixture
def calendar_2026(db):
    """The cases calendar knows 2026 and 2027 (seeded by the cases migration); fresh cache."""
    from jiceng.cases import calendar_seed, deadlines
    from jiceng.cases.models import CalendarDay, CalendarYear

    # a transactional (browser) test starts from a flushed database: seed it again
    calendar_seed.seed(CalendarYear, CalendarDay)
    deadlines.invalidate()
    yield
    deadlines.invalidate()


@pytest.fixture
def catalogue(db):
    from jiceng.servicehall import catalogue as cat
    from jiceng.servicehall.demo_items import guides

    for g in guides():
        cat.publish(g)
    return {i.code: i for i in cat.published()}


@pytest.fixture
def hall(territory, users, catalogue, calendar_2026):
    """Window clerks at 五一村 (village), 城关镇 (town) and 汉阴县 (county); a proxy agent
    for 五一村; a clerk of the other town (涧池镇) who must be refused 城关镇's work."""
    from jiceng.servicehall.models import ProxyAgent, ProxyKind

    t = territory
    agent_user = make_user(
        "agent", Role.PROXY_AGENT, t.village2, phone="13900000009", full_name="代办员任春河"
    )
    agent = ProxyAgent.objects.create(
        user=agent_user, region=t.village2, region_code=t.village2.code, kind=ProxyKind.CADRE
    )
    return SimpleNamespace(
        t=t,
        users=users,
        village_clerk=make_user("vclerk", Role.WINDOW_CLERK, t.village2),
        town_clerk=make_user("tclerk", Role.WINDOW_CLERK, t.town1),
        county_clerk=make_user("cclerk", Role.WINDOW_CLERK, t.county),
        other_town_clerk=make_user("oclerk", Role.WINDOW_CLERK, t.town2),
        other_village_clerk=make_user("ovclerk", Role.WINDOW_CLERK, t.village3),
        agent_user=agent_user,
        agent=agent,
        items=catalogue,
    )
