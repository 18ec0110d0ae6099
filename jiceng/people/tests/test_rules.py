"""The three-colour rules and tag schemas: pure, table-driven."""

import pytest

from jiceng.people import colours, tagschema
from jiceng.people.colours import RED, YELLOW, Rule

RULES = [
    Rule(RED, "收入不足40%", ({"fact": "income_ratio", "op": "lt", "value": 0.4},)),
    Rule(
        RED,
        "特困",
        ({"fact": "tagvalue.low_income.category", "op": "any_in", "value": ["特困供养"]},),
    ),
    Rule(RED, "社区矫正", ({"fact": "tag.community_correction", "op": "ge", "value": 1},)),
    Rule(YELLOW, "收入低于70%", ({"fact": "income_ratio", "op": "lt", "value": 0.7},)),
    Rule(YELLOW, "低保", ({"fact": "tag.low_income", "op": "ge", "value": 1},)),
    Rule(YELLOW, "未评平安家庭", ({"fact": "safe_family_years", "op": "eq", "value": 0},)),
    Rule(
        YELLOW,
        "独居高龄",
        (
            {"fact": "tag.living_alone_elderly", "op": "ge", "value": 1},
            {"fact": "members", "op": "eq", "value": 1},
        ),
    ),
]
BASE = {"members": 3, "income_ratio": 1.1, "safe_family_years": 5}


@pytest.mark.parametrize(
    "facts, colour, reasons",
    [
        ({}, "green", []),  # ordinary household
        ({"income_ratio": None}, "green", []),  # unknown income never makes a colour
        ({"income_ratio": 0.69}, "yellow", ["收入低于70%"]),
        ({"income_ratio": 0.7}, "green", []),  # the bound itself is not below
        ({"income_ratio": 0.39}, "red", ["收入不足40%"]),  # red wins, yellow reasons dropped
        ({"tag.low_income": 1, "tagvalue.low_income.category": ["农村低保"]}, "yellow", ["低保"]),
        (
            {"tag.low_income": 1, "tagvalue.low_income.category": ["特困供养"]},
            "red",
            ["特困"],
        ),
        ({"tag.community_correction": 1, "income_ratio": 0.3}, "red", ["收入不足40%", "社区矫正"]),
        ({"safe_family_years": 0, "tag.low_income": 1}, "yellow", ["低保", "未评平安家庭"]),
        ({"tag.living_alone_elderly": 1, "members": 1}, "yellow", ["独居高龄"]),
        ({"tag.living_alone_elderly": 1, "members": 2}, "green", []),  # all conditions needed
    ],
)
def test_households_get_the_colour_of_the_rules_they_match(facts, colour, reasons):
    outcome = colours.classify(RULES, {**BASE, **facts})
    assert (outcome.colour, outcome.reasons) == (colour, reasons)


@pytest.mark.parametrize(
    "conditions, error",
    [
        ([], "至少"),
        ([{"fact": "income", "op": "lt", "value": 1}], "未知的事实"),
        ([{"fact": "members", "op": "about", "value": 1}], "未知的比较"),
        ([{"fact": "tag.disabled", "op": "in", "value": 1}], "列表"),
        ([{"fact": "members", "op": "lt", "value": 1, "extra": 2}], "格式"),
    ],
)
def test_a_badly_written_rule_is_refused_with_a_reason(conditions, error):
    with pytest.raises(colours.RuleError, match=error):
        colours.check_conditions(conditions)


SCHEMA: list[dict] = [
    {
        "name": "grade",
        "label": "残疾等级",
        "type": "choice",
        "choices": ["一级", "二级"],
        "required": True,
    },
    {"name": "amount", "label": "金额", "type": "number", "min": 0},
    {"name": "year", "label": "年份", "type": "int", "min": 1990, "max": 2100},
    {"name": "since", "label": "日期", "type": "date"},
    {"name": "managed", "label": "规范管理", "type": "bool"},
]


@pytest.mark.parametrize(
    "values, cleaned, error",
    [
        ({"grade": "一级"}, {"grade": "一级"}, None),
        (
            {
                "grade": "二级",
                "amount": "420.5",
                "year": "2020",
                "since": "2024-05-01",
                "managed": "是",
            },
            {
                "grade": "二级",
                "amount": 420.5,
                "year": 2020,
                "since": "2024-05-01",
                "managed": True,
            },
            None,
        ),
        ({"grade": "", "amount": ""}, None, "残疾等级”为必填"),
        ({"grade": "三级"}, None, "必须是以下之一"),
        ({"grade": "一级", "amount": -1}, None, "不能小于"),
        ({"grade": "一级", "year": 1800}, None, "不能小于"),
        ({"grade": "一级", "year": "abc"}, None, "必须是数字"),
        ({"grade": "一级", "since": "2024-13-01"}, None, "必须是日期"),
        ({"grade": "一级", "managed": "maybe"}, None, "是”或“否"),
        ({"grade": "一级", "colour": "red"}, None, "未知字段"),
        ("not a dict", None, "键值对"),
    ],
)
def test_tag_values_are_checked_against_their_type_schema(values, cleaned, error):
    if error:
        with pytest.raises(tagschema.SchemaError, match=error):
            tagschema.clean(SCHEMA, values)
    else:
        assert tagschema.clean(SCHEMA, values) == cleaned


def test_a_schema_with_a_choice_field_needs_choices():
    with pytest.raises(tagschema.SchemaError, match="choices"):
        tagschema.check_schema([{"name": "x", "label": "X", "type": "choice"}])
