"""A value whose denominator is 0 is "no data" (None), never 100 (decision 0105): the rule,
the composite with a part missing, and every place a figure shows — the ranking page (after
the ranked units, unranked, "—" with why), the API (null, in the schema), the working page
(the denominator is 0), the workbook (a dash) and the PDF chart (no bar)."""

from __future__ import annotations

import io
import re

import pytest

from jiceng.assessment.metrics import DEFAULTS, composite, evaluate, formula_set, ratio
from jiceng.testing import client_for

from .conftest import at, make_case

FS = formula_set(DEFAULTS)
THREE = FS["three_rates"]

# ---------------------------------------------------------------- the rule (no database)

RATIOS = [
    # metric, counts, expected value
    ("response_rate", {"responded": 0, "received": 0}, None),  # no case: no value, not 100
    ("response_rate", {"responded": 3, "received": 0}, None),  # inconsistent counts: still none
    ("response_rate", {"responded": 1, "received": 1}, 100.0),  # a real 100
    ("response_rate", {"responded": 0, "received": 2}, 0.0),  # a real 0
    ("resolution_rate", {"resolved": 0, "resolve_rated": 0}, None),
    ("satisfaction_rate", {"satisfied": 0, "basic": 0, "rated": 0}, None),
    ("ontime_close_rate", {"on_time": 0, "due": 2, "paused": 2}, None),  # 2 − 2 = 0
    ("ontime_close_rate", {"on_time": 0, "due": 1, "paused": 2}, None),  # below 0
    ("rework_rate", {"reworked": 0, "closed": 0}, None),  # lower is better: not 0 either
    ("avg_work_hours", {"hours_sum": 0, "hours_n": 0}, None),
    ("report_in_score", {"calls_rating_sum": 0, "calls_rated": 0}, None),  # two-way
    ("dispatch_score", {"dispatch_rating_sum": 0, "dispatch_rated": 0}, None),
]


@pytest.mark.parametrize("code,counts,expected", RATIOS)
def test_a_zero_denominator_has_no_value(code, counts, expected):
    value, _num, den = ratio(FS[code], counts)
    assert value == expected
    assert (den <= 0) == (expected is None)
    assert evaluate(FS, {"": counts})[code]["value"] == expected


COMPOSITES = [
    # parts (response, resolution, satisfaction), expected 三率, the parts missing
    ((100.0, 50.0, 25.0), 45.0, []),  # 0.1×100 + 0.5×50 + 0.4×25
    ((100.0, None, None), None, ["resolution_rate", "satisfaction_rate"]),  # was 100
    ((100.0, 100.0, None), None, ["satisfaction_rate"]),  # was 100 (weights renormalised)
    ((None, 80.0, 90.0), None, ["response_rate"]),
    ((None, None, None), None, ["response_rate", "resolution_rate", "satisfaction_rate"]),
    ((0.0, 0.0, 0.0), 0.0, []),  # a real 0 is a value
]


@pytest.mark.parametrize("parts,expected,missing", COMPOSITES)
def test_a_composite_with_a_missing_part_has_no_value(parts, expected, missing):
    values = dict(
        zip(["response_rate", "resolution_rate", "satisfaction_rate"], parts, strict=True)
    )
    out = composite(THREE, values)
    assert out["value"] == expected and out["missing"] == missing
    # the 30/35/35 spelling follows the same rule
    other = composite(
        THREE.__class__(**{**THREE.__dict__, "components": {
            "response_rate": 30, "resolution_rate": 35, "satisfaction_rate": 35}}),
        values,
    )  # fmt: skip
    assert (other["value"] is None) == (expected is None)


def test_a_part_of_weight_zero_may_be_missing():
    f = THREE.__class__(**{**THREE.__dict__, "components": {
        "response_rate": 0, "resolution_rate": 1, "satisfaction_rate": 1}})  # fmt: skip
    out = composite(f, {"response_rate": None, "resolution_rate": 80.0, "satisfaction_rate": 90.0})
    assert out["value"] == 85.0 and out["missing"] == []


def test_counts_with_no_return_visit_give_no_three_rates():
    # one call answered in time, no return visit yet: 响应率 100, nothing else
    out = evaluate(FS, {"": {"received": 1, "responded": 1}})
    assert out["response_rate"]["value"] == 100.0
    assert out["resolution_rate"]["value"] is None
    assert out["three_rates"]["value"] is None  # not 100


# ---------------------------------------------------------------- through the interfaces

MONTH = "kind=month&start=2026-10-01"


@pytest.fixture
def quiet_village(territory, october):
    """五一村 (village2): in October one call answered in time and no return visit (no
    resolution or satisfaction rating); in September one call, rated and resolved, so its
    previous 三率 is 100. The two other villages have every part."""
    from jiceng.assessment import facts, rollup
    from jiceng.cases.models import Case

    v2 = territory.village2.code
    make_case(v2, at(12))  # responded in 2 h, closed, never rated
    make_case(v2, at(12, month=9), satisfaction="satisfied", resolved=True)
    facts.refresh(Case.objects.values_list("pk", flat=True), at(31, 18))
    rollup.refresh_dirty()
    return v2


def _table(html: str) -> list[list[str]]:
    body = html.split('<table id="ranking">')[1].split("</table>")[0]
    rows = []
    for tr in re.findall(r"<tr>(.*?)</tr>", body, re.S)[1:]:
        rows.append([c.strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)])
    return rows


def _text(cell: str) -> str:
    return re.sub(r"<[^>]+>", "", cell).strip()


def test_the_ranking_page_puts_a_village_without_data_last_and_unranked(
    users, territory, quiet_village
):
    c = client_for(users.district)
    html = c.get(f"/assessment/?{MONTH}&dim=village&metric=three_rates").content.decode()
    rows = _table(html)
    assert len(rows) == 3 and _text(rows[-1][1]) == "五一村"  # after the ranked villages
    ranked, last = rows[:-1], rows[-1]
    assert sorted(_text(r[0]) for r in ranked) == ["1", "2"]
    assert all(_text(r[2]) not in ("—", "100.0") for r in ranked)
    # no rank, no value, no change; the title says why
    cells = [_text(last[i]) for i in (0, 2, 4, 5)]  # rank, value, previous, change
    assert cells == ["—", "—", "100.0", "—"]
    assert 'title="解决率、满意率本期无相关诉求（分母为 0），不计算综合得分，不参与排名"' in last[2]
    assert "无数据，不参与排名" in last[0]
    # its chart has no bar for it
    chart = html.split("var data = ")[1].split(";")[0]
    assert "五一村" not in chart
    # by 响应率 the same village has a real value (1 ÷ 1) and is ranked
    html = c.get(f"/assessment/?{MONTH}&dim=village&metric=response_rate").content.decode()
    row = next(r for r in _table(html) if _text(r[1]) == "五一村")
    assert _text(row[0]) == "1" and _text(row[2]) == "100.0"


def test_the_api_gives_null_and_no_rank(users, territory, quiet_village):
    c = client_for(users.district)
    r = c.get(f"/api/v1/assessment/rankings?dimension=village&{MONTH}")
    assert r.status_code == 200, r.content
    row = next(x for x in r.json()["rows"] if x["key"] == quiet_village)
    assert row["metrics"]["three_rates"]["value"] is None
    assert row["ranks"]["three_rates"] is None
    assert row["metrics"]["resolution_rate"] == {"value": None, "num": 0.0, "den": 0.0}
    assert row["prev"]["three_rates"] == 100.0  # September had it
    assert row["ranks"]["response_rate"] == 1
    others = [x for x in r.json()["rows"] if x["key"] != quiet_village]
    assert sorted(x["ranks"]["three_rates"] for x in others) == [1, 2]  # no tie with it
    # the schema says what null means
    spec = c.get("/api/v1/openapi.json").json()
    figure = spec["components"]["schemas"]["Figure"]["properties"]["value"]
    assert "never 100" in figure["description"] and {"type": "null"} in figure["anyOf"]
    # the working: 0 ÷ 0, no value; the composite names its missing parts
    w = c.get(f"/api/v1/assessment/working?dimension=village&key={quiet_village}"
              f"&metric=three_rates&{MONTH}").json()  # fmt: skip
    assert w["value"] is None and w["missing_parts"] == ["解决率", "满意率"]
    # an outsider is refused the row
    other = client_for(users.other_street)
    r = other.get(f"/api/v1/assessment/working?dimension=village&key={quiet_village}"
                  f"&metric=three_rates&{MONTH}")  # fmt: skip
    assert r.status_code == 404
    assert client_for(users.resident).get(f"/api/v1/assessment/rankings?{MONTH}").status_code == 403


def test_the_working_page_says_the_denominator_is_zero(users, territory, quiet_village):
    c = client_for(users.district)
    base = f"/assessment/working/?{MONTH}&dim=village&key={quiet_village}"
    html = c.get(f"{base}&metric=resolution_rate").content.decode()
    assert "= 0 ÷ 0 = " in html and "分母为 0（本期无相关诉求），因此没有数值" in html
    html = c.get(f"{base}&metric=three_rates").content.decode()
    assert "分项指标“解决率、满意率”的分母为 0" in html and "不按其余分项折算权重" in html
    assert c.get(f"{base}&metric=response_rate").content.decode().count('id="no-value"') == 0
    assert client_for(users.other_street).get(f"{base}&metric=three_rates").status_code == 404


def test_the_workbook_and_the_pdf_show_a_dash(
    users, territory, quiet_village, django_capture_on_commit_callbacks, settings
):
    settings.JICENG_EXPORT_INLINE = True
    from openpyxl import load_workbook

    from jiceng.assessment import exports
    from jiceng.assessment.periods import parse

    c = client_for(users.district)
    with django_capture_on_commit_callbacks(execute=True):
        r = c.post("/api/v1/assessment/exports", content_type="application/json",
                   data={"fmt": "xlsx", "kind": "month", "start": "2026-10-01"})  # fmt: skip
    assert r.status_code == 201, r.content
    wb = load_workbook(io.BytesIO(c.get(f"/assessment/exports/{r.json()['id']}/download/").content))
    ws = wb["社区、村"]
    head = next(row for row in ws.iter_rows() if row[0].value == "排名")
    col = {cell.value: cell.column for cell in head}
    body = [row for row in ws.iter_rows(min_row=head[0].row + 1) if row[1].value]
    assert body[-1][1].value == "五一村"  # after the ranked villages
    last = {h: ws.cell(row=body[-1][0].row, column=n).value for h, n in col.items()}
    assert last["排名"] == "—" and last["三率综合得分（分）"] == "—"
    assert last["解决率（%）"] == "—" and last["响应率（%）"] == 100
    assert last["三率综合得分较上期"] == "—"
    assert sorted(row[0].value for row in body[:-1]) == [1, 2]
    assert "分母为 0" in ws["A4"].value
    # the PDF's chart: no bar for it, and the caption says so
    data = next(
        s for s in exports.collect(users.district, parse("month", "2026-10-01", None))
        if s["dim"] == "village"
    )  # fmt: skip
    drawing = exports._chart(data["rows"], "three_rates", "三率综合得分（分）")
    assert "1 个单位本期无数据，未列入" in drawing.contents[0].text
    assert exports.pdf([data], parse("month", "2026-10-01", None), "three_rates").startswith(
        b"%PDF"
    )


def test_sql_and_python_agree_on_a_missing_part(users, territory, quiet_village):
    """The ranking's SQL (UnitMonth) and the day rows give the same None as evaluate()."""
    from jiceng.assessment import rankings
    from jiceng.assessment.periods import parse

    fs = rankings.formulas()
    for via_months in (True, False):
        span = parse("month", "2026-10-01", None)
        dfs, tuples = rankings.ranked_tuples(
            ["village"], "610921", span, fs, False, span.previous(), via_months=via_months
        )["village"]
        at_v = 1 + 4 * list(dfs).index("three_rates")
        row = next(t for t in tuples if t[0] == quiet_village)
        assert row[at_v + 2] is None and row[at_v + 3] is None
