"""The transition table: every move it forbids is refused, with a Chinese message."""

from __future__ import annotations

import json

import pytest

from jiceng.accounts.models import Role
from jiceng.cases import services
from jiceng.cases.models import Case, CaseEvent, Status
from jiceng.cases.workflow import MOVES
from jiceng.testing import client_for, make_user

FORBIDDEN = [
    (move, status)
    for move, m in MOVES.items()
    if move not in ("report", "card")
    for status in Status.values
    if status not in m.sources
]


def _case_in(status, users, cats, in_grid) -> Case:
    case = services.intake(
        channel="hotline",
        request_type="complaint",
        category=cats.road,
        description="解放路路面破损，请尽快修补",
        reporter_phone="13900001111",
        user=users.street,
        **in_grid,
    )
    Case.objects.filter(pk=case.pk).update(status=status)  # test set-up only
    case.refresh_from_db()
    return case


@pytest.mark.django_db
@pytest.mark.parametrize("move,status", FORBIDDEN, ids=[f"{m}-from-{s}" for m, s in FORBIDDEN])
def test_every_move_the_table_forbids_is_refused(move, status, users, cats, in_grid):
    admin = make_user("root", Role.DISTRICT_ADMIN, users.district.scope, is_superuser=True)
    case = _case_in(status, users, cats, in_grid)
    before = CaseEvent.objects.filter(case=case).count()
    with pytest.raises(services.MoveRefused) as exc:
        services.transition(case, move, user=admin, reason="测试原因")
    assert exc.value.code == "invalid_state" and exc.value.status == 409
    assert "不能执行" in exc.value.message
    case.refresh_from_db()
    assert case.status == status and CaseEvent.objects.filter(case=case).count() == before


# (who, move, status) — the table allows the move in that state, the actor may not make it
ROLE_REFUSALS = [
    ("resident", "register", Status.REPORTED),
    ("department", "dispatch", Status.REGISTERED),
    ("grid_worker", "dispatch", Status.REGISTERED),
    ("auditor", "dispatch", Status.REGISTERED),
    ("other_street", "register", Status.REPORTED),
    ("other_department", "accept", Status.DISPATCHED),
    ("street", "accept", Status.DISPATCHED),
    ("department", "verify_close", Status.HANDLED),
    ("community", "verify_close", Status.HANDLED),  # street-level case: community is below it
    ("other_district", "cancel", Status.REGISTERED),
    ("department", "approve_pause", Status.PAUSE_REQUESTED),
    ("street", "request_pause", Status.HANDLING),
    ("department", "whistle", Status.HANDLING),
    ("no_scope", "register", Status.REPORTED),
]


@pytest.mark.django_db
@pytest.mark.parametrize("who,move,status", ROLE_REFUSALS)
def test_a_move_by_someone_without_the_power_is_refused(who, move, status, users, cats, in_grid):
    case = _case_in(status, users, cats, in_grid)
    Case.objects.filter(pk=case.pk).update(unit=users.dept)
    case.refresh_from_db()
    with pytest.raises(services.MoveRefused) as exc:
        services.transition(case, move, user=getattr(users, who), reason="测试原因")
    assert exc.value.code == "forbidden" and "无权" in exc.value.message


@pytest.mark.django_db
@pytest.mark.parametrize("move", [m for m, x in MOVES.items() if x.needs_reason])
def test_moves_that_need_a_reason_are_refused_without_one(move, users, cats, in_grid):
    m = MOVES[move]
    status = sorted(m.sources)[0]
    admin = make_user("root", Role.DISTRICT_ADMIN, users.district.scope, is_superuser=True)
    case = _case_in(status, users, cats, in_grid)
    with pytest.raises(services.MoveRefused) as exc:
        services.transition(case, move, user=admin, reason="  ")
    assert exc.value.code == "reason_required" and "原因" in exc.value.message


@pytest.mark.django_db
def test_a_grid_worker_closes_on_the_spot_only_what_the_grid_can_fix(users, cats, in_grid):
    litter = services.intake(
        channel="grid",
        request_type="report",
        category=cats.litter,
        description="小区门口垃圾堆放两天没人清理",
        user=users.grid_worker,
        **in_grid,
    )
    assert litter.tier == 1 and litter.status == Status.REGISTERED
    litter = services.transition(
        litter, "close_on_spot", user=users.grid_worker, reason="已组织清运"
    )
    assert litter.status == Status.CLOSED and litter.closed_tier == 1 and litter.closed_on_spot
    road = services.intake(
        channel="grid",
        request_type="report",
        category=cats.road,
        description="村道塌方一段，需要机械修复",
        user=users.grid_worker,
        **in_grid,
    )
    with pytest.raises(services.MoveRefused) as exc:
        services.transition(road, "close_on_spot", user=users.grid_worker, reason="试试")
    assert "不能由网格就地办结" in exc.value.message
    road = services.transition(road, "escalate", user=users.grid_worker, reason="需要机械")
    assert road.tier == 2 and road.owner_unit.name == "城关社区居委会"
    road = services.transition(road, "escalate", user=users.community, reason="超出社区能力")
    assert road.tier == 3 and road.owner_unit.name == "城关镇综治中心"


@pytest.mark.django_db
def test_a_refused_move_through_the_api_is_a_structured_chinese_error(users, cats, in_grid):
    case = _case_in(Status.REPORTED, users, cats, in_grid)
    r = client_for(users.street).post(
        f"/api/v1/cases/{case.number}/moves/verify_close",
        data=json.dumps({}),
        content_type="application/json",
    )
    assert r.status_code == 409
    err = r.json()["error"]
    assert err["code"] == "invalid_state" and "待受理" in err["message"]
    r = client_for(users.department).post(
        f"/api/v1/cases/{case.number}/moves/register", data="{}", content_type="application/json"
    )
    assert r.status_code == 404, "a department does not see an unassigned case at all"


@pytest.mark.django_db
def test_return_and_redispatch_after_review(users, cats, in_grid):
    case = _case_in(Status.REGISTERED, users, cats, in_grid)
    case = services.transition(case, "dispatch", user=users.street, unit=users.other_dept.code)
    case = services.transition(
        case, "return", user=users.other_department, reason="不属于水利局职责"
    )
    assert case.status == Status.RETURNED and case.return_count == 1
    assert not services.visible_cases(users.other_department).filter(pk=case.pk).exists()
    case = services.transition(
        case, "redispatch", user=users.street, reason="改派住建局", unit=users.dept.code
    )
    assert case.status == Status.DISPATCHED and case.unit == users.dept


@pytest.mark.django_db
def test_merge_and_split(users, cats, in_grid):
    a = _case_in(Status.REGISTERED, users, cats, in_grid)
    b = _case_in(Status.REGISTERED, users, cats, in_grid)
    b = services.transition(b, "merge", user=users.street, reason="同一路段", into=a.number)
    assert b.status == Status.MERGED and b.merged_into == a
    c = _case_in(Status.REGISTERED, users, cats, in_grid)
    parts = [{"description": "路面坑洞需要修补"}, {"description": "路灯不亮需要维修"}]
    c = services.transition(c, "split", user=users.street, reason="两件事", parts=parts)
    assert c.status == Status.SPLIT and c.parts.count() == 2


@pytest.mark.django_db
def test_pause_with_approval_extends_the_deadline(users, cats, in_grid):
    case = _case_in(Status.REGISTERED, users, cats, in_grid)
    case = services.transition(case, "dispatch", user=users.street)
    case = services.transition(case, "accept", user=users.department)
    before = case.deadline
    case = services.transition(
        case, "request_pause", user=users.department, reason="需等待材料", days=5
    )
    case = services.transition(case, "approve_pause", user=users.street)
    assert case.status == Status.PAUSED and case.deadline > before and case.paused_days == 5
    case = services.transition(case, "resume", user=users.department)
    assert case.status == Status.HANDLING


@pytest.mark.django_db
def test_whistle_summons_departments_who_report_in_and_are_rated(users, cats, in_grid):
    case = _case_in(Status.REGISTERED, users, cats, in_grid)
    case = services.transition(
        case,
        "whistle",
        user=users.street,
        reason="多部门联合处置",
        units=[users.dept.code, users.other_dept.code],
        limit_hours=4,
    )
    assert services.visible_cases(users.other_department).filter(pk=case.pk).exists()
    services.transition(case, "report_in", user=users.other_department, reason="已到场")
    with pytest.raises(services.MoveRefused):
        services.transition(case, "report_in", user=users.other_department, reason="再报到")
    services.transition(
        case, "rate_report_in", user=users.street, unit=users.other_dept.code, rating=5
    )
    call = case.whistles.get().calls.get(unit=users.other_dept)
    assert call.on_time and call.rating == 5
