from __future__ import annotations

from types import SimpleNamespace

import pytest

from jiceng.accounts.models import Unit, UnitKind

ROAD_FIELDS = [
    {
        "code": "households",
        "label": "受影响户数",
        "datatype": "number",
        "required": True,
        "order": 1,
        "description": "大约有多少户受影响",
    },
    {
        "code": "severity",
        "label": "严重程度",
        "datatype": "singlevaluelist",
        "required": False,
        "order": 2,
        "values": [{"key": "light", "name": "轻微"}, {"key": "heavy", "name": "严重"}],
    },
    {
        "code": "hazards",
        "label": "安全隐患",
        "datatype": "multivaluelist",
        "required": False,
        "order": 3,
        "values": [
            {"key": "night", "name": "夜间看不清"},
            {"key": "school", "name": "学校附近"},
            {"key": "traffic", "name": "车流量大"},
        ],
    },
    {"code": "seen_at", "label": "发现时间", "datatype": "datetime", "order": 4},
]


@pytest.fixture
def units(territory, users):
    t = territory
    mk = Unit.objects.create
    return SimpleNamespace(
        county=mk(
            code=t.county.code, name="汉阴县综治中心", kind=UnitKind.DISTRICT, region=t.county
        ),
        town1=mk(code=t.town1.code, name="城关镇综治中心", kind=UnitKind.STREET, region=t.town1),
        town2=mk(code=t.town2.code, name="涧池镇综治中心", kind=UnitKind.STREET, region=t.town2),
        dept=users.dept,
    )


@pytest.fixture
def cats(units):
    """城乡建设 (a parent, not a service) › 道路破损 (extra fields) and 垃圾堆放 (none)."""
    from jiceng.cases.models import Category, DispatchRule

    root = Category.objects.create(code="10", name="城乡建设", path="城乡建设")
    road = Category.objects.create(
        code="1001",
        name="道路破损",
        parent=root,
        depth=2,
        path="城乡建设/道路破损",
        description="道路、人行道路面破损、塌陷",
        keywords="坑,塌陷,路面",
        limit_amount=3,
        limit_unit="workdays",
        extra_fields=ROAD_FIELDS,
    )
    litter = Category.objects.create(
        code="1002",
        name="垃圾堆放",
        parent=root,
        depth=2,
        path="城乡建设/垃圾堆放",
        limit_amount=2,
        limit_unit="days",
    )
    off = Category.objects.create(code="1003", name="已停用分类", parent=root, active=False)
    DispatchRule.objects.create(category=root, region_prefix="", lead_unit=units.dept)
    return SimpleNamespace(root=root, road=road, litter=litter, off=off)


@pytest.fixture
def api_key(db):
    from jiceng.open311.models import ApiKey

    obj, key = ApiKey.issue("测试客户端")
    return key


IN_GRID = {"lat": "32.805", "long": "108.405"}  # inside 城关社区第1网格 (grid3a)
