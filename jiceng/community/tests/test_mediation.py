"""Dispute mediation: the steps to an agreement, escalation village → town → county and who
may act at each level, masked parties with logged full views, success rates and 红黑榜."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from jiceng.accounts.models import AccessLog
from jiceng.community import mediation
from jiceng.community.mediation import PartyIn
from jiceng.community.models import Committee, Dispute, DisputeEvent, Mediator
from jiceng.lib import idcard
from jiceng.testing import client_for

pytestmark = pytest.mark.django_db
ID = idcard.make("610921", timezone.now().date().replace(year=1970), 12)


@pytest.fixture
def committees(territory):
    out = {}
    for key, region, level in [
        ("village", territory.village1, "village"),
        ("village2", territory.village2, "village"),
        ("town", territory.town1, "town"),
        ("county", territory.county, "county"),
    ]:
        c = Committee.objects.create(
            name=f"{region.name}人民调解委员会", region_code=region.code, level=level
        )
        out[key] = Mediator.objects.create(
            committee=c, name=f"{region.name}调解员", phone="13900000000"
        )
    return out


def _register(user, territory, **kw):
    args: dict[str, Any] = dict(
        kind="neighbour",
        place="三组李家院坝",
        summary="两家因排水沟改道发生争执，一方要求赔偿菜地损失",
        amount="3,000",
        parties=[
            PartyIn("applicant", "李建国", "13912345678", ID, "城关社区3组12号"),
            PartyIn("respondent", "王德福", "13987654321", "", "城关社区3组14号"),
        ],
    )
    args.update(kw)
    return mediation.register(user, territory.village1.code, **args)


def _settle(user, d, mediator, agreed=True):
    mediation.assign(user, d, mediator.pk)
    mediation.add_session(
        user, d, at=timezone.now() - timedelta(hours=1), minutes="双方陈述，调解员释法说理"
    )
    if agreed:
        return mediation.agree(
            user, d, text="一、王德福赔偿李建国菜地损失 1500 元。二、排水沟恢复原走向。"
        )
    return mediation.fail(user, d, "双方分歧大，已告知可诉讼")


def test_a_mediator_records_a_dispute_through_to_an_agreement(users, territory, committees):
    d = _register(users.community, territory)
    assert d.number.startswith("TJ") and d.status == "registered" and d.amount == 3000
    _settle(users.community, d, committees["village"])
    d.refresh_from_db()
    assert d.status == "agreed" and d.concluded_at is not None
    mediation.record_performance(users.community, d, "performed", "已赔付")
    d.refresh_from_db()
    assert d.performance == "performed"
    kinds = list(DisputeEvent.objects.filter(dispute=d).values_list("kind", flat=True))
    assert kinds == ["register", "assign", "session", "agree", "perform"]
    with pytest.raises(ValidationError):
        mediation.fail(users.community, d, "已结案后不能再改")


def test_bad_dispute_input_gets_chinese_errors_and_nothing_is_saved(users, territory):
    with pytest.raises(ValidationError) as exc:
        _register(
            users.community,
            territory,
            summary="短",
            amount="-1",
            parties=[PartyIn("applicant", "", "12", "610921197001011234")],
        )
    text = "；".join(exc.value.messages)
    assert "至少 10 个字" in text and "涉及金额" in text
    assert Dispute.objects.count() == 0
    with pytest.raises(ValidationError) as exc:
        _register(
            users.community,
            territory,
            parties=[PartyIn("applicant", "李", "", "61092119700101123X")],
        )
    assert any("申请人和一名被申请人" in m for m in exc.value.messages)


def test_escalation_moves_the_dispute_and_who_may_act_follows_it(users, territory, committees):
    d = _register(users.community, territory)
    with pytest.raises(ValidationError):
        mediation.escalate(users.community, d, "短")  # a reason is needed
    mediation.escalate(users.community, d, "涉及宅基地权属，村级无法认定")
    d.refresh_from_db()
    assert (d.level, d.handling_code, d.status) == ("town", territory.town1.code, "registered")
    assert d.committee.region_code == territory.town1.code
    with pytest.raises(PermissionDenied):  # the village no longer acts, but still sees it
        mediation.assign(users.community, d, committees["village"].pk)
    assert mediation.get(users.community, d.number) == d
    with pytest.raises(ValidationError):  # a village mediator is not the town's
        mediation.assign(users.street, d, committees["village"].pk)
    mediation.assign(users.street, d, committees["town"].pk)
    mediation.escalate(users.street, d, "需县级多部门联合调处")
    d.refresh_from_db()
    assert (d.level, d.handling_code) == ("county", territory.county.code)
    with pytest.raises(PermissionDenied):
        mediation.escalate(users.street, d, "再报一次试试")
    with pytest.raises(ValidationError):
        mediation.escalate(users.district, d, "县级之上没有了")
    ev = DisputeEvent.objects.filter(dispute=d, kind="escalate").order_by("id")
    assert [(e.level, e.to_level) for e in ev] == [("village", "town"), ("town", "county")]


def test_another_street_and_another_village_are_refused(users, territory, committees, people):
    d = _register(users.community, territory)
    with pytest.raises(Http404):
        mediation.get(users.other_street, d.number)
    assert client_for(users.other_street).get(f"/community/disputes/{d.number}/").status_code == 404
    assert client_for(users.resident).get("/community/disputes/").status_code == 403
    with pytest.raises(Http404):
        mediation.register(
            users.community,
            territory.village2.code,
            kind="other",
            place="x",
            summary="不是本村的纠纷不能登记到本村",
            parties=[PartyIn("applicant", "甲"), PartyIn("respondent", "乙")],
        )
    assert (
        d.number not in client_for(users.other_street).get("/community/disputes/").content.decode()
    )


def test_parties_are_masked_and_a_full_view_is_logged(users, territory, committees):
    d = _register(users.community, territory)
    c = client_for(users.street)
    page = c.get(f"/community/disputes/{d.number}/").content.decode()
    assert "李建国" not in page and "13912345678" not in page and ID not in page
    assert "李**" in page and "139****5678" in page
    r = c.post(
        f"/community/disputes/{d.number}/", {"action": "reveal", "reason": "电话通知调解时间"}
    )
    assert "李建国" in r.content.decode() and "13912345678" in r.content.decode()
    logs = AccessLog.objects.filter(subject_type="dispute_party", viewer=users.street)
    assert logs.count() == 2 and logs.first().reason == "电话通知调解时间"
    with pytest.raises(PermissionDenied):
        mediation.reveal(users.auditor, d, "审计抽查")
    assert AccessLog.objects.count() == 2


def test_the_printed_agreement_has_full_names_and_logs_it(users, territory, committees):
    d = _register(users.community, territory)
    _settle(users.community, d, committees["village"])
    r = client_for(users.community).get(f"/community/disputes/{d.number}/agreement/")
    body = r.content.decode()
    assert "人民调解协议书" in body and "李建国" in body and "王德福赔偿李建国" in body
    assert AccessLog.objects.filter(reason="打印调解协议书").count() == 2


def test_success_rates_per_level_village_and_mediator(users, territory, committees):
    """Six agreements and one failure in the village would be 6/7 = 85.7 % (三台's figure);
    one more escalated (without a mediator) and settled by the town counts against the
    village (6/8) and for the town (1/1)."""
    for _ in range(6):
        _settle(users.community, _register(users.community, territory), committees["village"])
    _settle(
        users.community, _register(users.community, territory), committees["village"], agreed=False
    )
    up = _register(users.community, territory)
    mediation.escalate(users.community, up, "村级调解不成，报镇")
    _settle(users.street, Dispute.objects.get(pk=up.pk), committees["town"])
    r = mediation.rates(territory.town1.code)
    v = r["villages"][territory.village1.code]
    assert (v["agreed"], v["failed"], v["escalated"]) == (6, 1, 1)
    assert v["pct"] == "75.0%"
    assert r["levels"]["town"]["agreed"] == 1 and r["levels"]["town"]["pct"] == "100.0%"
    assert r["mediators"][committees["village"].pk]["concluded"] == 7
    assert r["total"]["agreed"] == 7 and r["total"]["concluded"] == 9  # 7 ÷ (7 + 1 + 1)
    red, black = mediation.honour_board(
        {
            "a": {"rate": 6 / 7, "concluded": 7},
            "b": {"rate": 0.5, "concluded": 4},
            "c": {"rate": 0.0, "concluded": 2},
        }
    )
    assert (red, black) == (["a"], ["b"])
    page = client_for(users.street).get("/community/disputes/stats/").content.decode()
    assert "75.0%" in page and "城关社区" in page
    other = client_for(users.other_street).get("/community/disputes/stats/").content.decode()
    assert "城关社区" not in other


def test_a_dispute_from_a_case_is_linked_both_ways(users, territory, committees):
    from django.template import Context, Template

    from jiceng.cases import services as case_services

    case = case_services.intake(
        channel="hotline",
        request_type="complaint",
        category=None,
        description="邻居建房占用通行道路，双方争吵",
        user=users.street,
        region_code=territory.village1.code,
    )
    d = _register(users.community, territory, case_number=case.number)
    page = client_for(users.community).get(f"/community/disputes/{d.number}/").content.decode()
    assert f"/cases/{case.number}/" in page or case.number in page
    html = Template("{% load community_tags %}{% community_origin case %}").render(
        Context({"case": case, "request": SimpleNamespace(user=users.community)})
    )
    assert f"/community/disputes/{d.number}/" in html
    html = Template("{% load community_tags %}{% community_origin case %}").render(
        Context({"case": case, "request": SimpleNamespace(user=users.other_street)})
    )
    assert d.number in html and f"/community/disputes/{d.number}/" not in html
    with pytest.raises(ValidationError):  # a case number the registrar cannot see
        _register(users.community, territory, case_number="NOPE-1")


def test_a_withdrawn_dispute_is_neither_success_nor_failure(users, territory, committees):
    d = _register(users.community, territory)
    with pytest.raises(ValidationError):
        mediation.withdraw(users.community, d, "短")
    mediation.withdraw(users.community, d, "双方已自行和解")
    d.refresh_from_db()
    assert d.status == "withdrawn" and d.concluded_at is not None
    r = mediation.rates(territory.town1.code)
    assert r["levels"]["village"]["concluded"] == 0 and r["total"]["concluded"] == 0
    with pytest.raises(ValidationError):
        mediation.escalate(users.community, d, "撤回后不能上报")


def test_a_refused_registration_keeps_the_parties_typed(users, territory, committees):
    form = {
        "village": territory.village1.code, "kind": "neighbour", "place": "二组王家院坝",
        "amount": "abc", "summary": "围墙占用通行道路约半米，双方多次争吵",
        "p1_role": "applicant", "p1_name": "王德贵", "p1_phone": "13991500001",
        "p1_id": "", "p1_address": "二组", "p2_role": "respondent", "p2_name": "李秀英",
    }  # fmt: skip
    r = client_for(users.community).post("/community/disputes/new/", form)
    html = r.content.decode()
    assert r.status_code == 200 and "不是数字" in html and not Dispute.objects.exists()
    for v in ("王德贵", "13991500001", "李秀英", "二组王家院坝", "abc"):
        assert f'value="{v}"' in html, v
    assert '<option value="respondent" selected>' in html


def test_every_rate_on_the_stats_page_follows_the_printed_formula(users, territory, committees):
    """Hand-counted disputes, each row of the page and the headline checked against
    成功 ÷ (成功 + 不成 + 上报). Village 1: 3 agreed, 1 failed, 1 escalated (then agreed by the
    town), 1 still open; village 2: 1 agreed, 1 failed. Nothing counts the open one."""
    import re

    from jiceng.community.models import MediationLevel

    v1, v2 = committees["village"], committees["village2"]
    for _ in range(3):
        _settle(users.community, _register(users.community, territory), v1)
    _settle(users.community, _register(users.community, territory), v1, agreed=False)
    up = _register(users.community, territory)
    mediation.escalate(users.community, up, "村级调解不成，报镇")
    _settle(users.street, Dispute.objects.get(pk=up.pk), committees["town"])
    _register(users.community, territory)  # still open
    for agreed in (True, False):
        d = mediation.register(
            users.street,
            territory.village2.code,
            kind="neighbour",
            place="二组",
            summary="宅基地边界争议，双方各执一词",
            amount="",
            parties=[
                PartyIn("applicant", "赵大", "13912345670", "", "二组1号"),
                PartyIn("respondent", "钱二", "", "", "二组2号"),
            ],
        )
        _settle(users.street, d, v2, agreed=agreed)
    page = client_for(users.street).get("/community/disputes/stats/").content.decode()

    def pct(a: int, f: int, e: int) -> str:
        return f"{a / (a + f + e) * 100:.1f}%" if a + f + e else "—"

    rows = re.findall(
        r"<tr><td>([^<]+)</td>(?:<td>[^<]*</td>)?<td class=\"num\">(\d+)</td>"
        r"<td class=\"num\">(\d+)</td><td class=\"num\">(\d+)</td><td class=\"num\">([^<]+)</td>",
        page,
    )
    got = {name: (int(a), int(f), int(e), p) for name, a, f, e, p in rows}
    for name, a, f, e, p in rows:  # every row, whatever it is, obeys the formula
        assert p == pct(int(a), int(f), int(e)), name
    levels = dict(MediationLevel.choices)
    expected = {
        levels["village"]: (4, 2, 1),  # both villages at village level
        levels["town"]: (1, 0, 0),
        levels["county"]: (0, 0, 0),
        territory.village1.name: (3, 1, 1),  # 60.0%
        territory.village2.name: (1, 1, 0),  # 50.0%
        v1.name: (3, 1, 0),  # the escalation had no mediator
        v2.name: (1, 1, 0),
        committees["town"].name: (1, 0, 0),
    }
    for name, counts in expected.items():
        assert got[name] == (*counts, pct(*counts)), name
    # the headline: the sum of the level rows, 5 ÷ (5 + 2 + 1) = 62.5 %
    assert "62.5%" in page and "成功 5 件 / 办结 8 件" in page
    assert "不成 2" in page and "上报 1" in page
    assert "成功率 = 调解成功 ÷（调解成功 + 调解不成 + 上报上级）" in page
    r = mediation.rates(territory.town1.code)
    assert r["open"] == 1 and r["total"]["pct"] == "62.5%"
