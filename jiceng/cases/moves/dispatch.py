"""Dispatch and return: register (受理立案), dispatch/redispatch (派单/改派), accept (签收),
return (退单), handle (调查处置), report_handling (处理反馈), escalate (上报上级).

Source of the rules: the 12345 hotline loop (DESIGN.md, "接诉即办") — a centre registers
and dispatches, the lead unit accepts or returns with a reason, the most specific dispatch
rule names the lead and helper units.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext
from pydantic import Field

from jiceng.accounts.models import Unit
from jiceng.cases.intake import unit_at
from jiceng.cases.models import CaseAssignment, Category, DispatchRule, RequestType, Tier
from jiceng.cases.moves.base import (
    Ctx,
    MoveInput,
    MoveRefused,
    OptionalRef,
    Outcome,
    Ref,
    rule,
    unit_by_ref,
)
from jiceng.cases.notifications import notify, when


class RegisterIn(MoveInput):
    category: OptionalRef = Field(None, title="分类")
    request_type: str | None = Field(None, title="诉求类型")


class DispatchIn(MoveInput):
    unit: OptionalRef = Field(None, title="承办单位", description="unit code or id")
    helpers: list[Ref] = Field([], title="协办单位", max_length=20)


class HandleIn(MoveInput):
    note: str = Field("", title="处置情况", max_length=2000)
    public: bool = Field(False, title="公开")


class ResultIn(MoveInput):
    result: str = Field("", title="办理结果", max_length=2000)


@rule("register", input=RegisterIn)
def register(ctx: Ctx, inp: RegisterIn) -> Outcome:
    case = ctx.case
    case.registered_at = case.registered_at or ctx.now
    if inp.category:
        cat = Category.objects.filter(code=inp.category, active=True).first()
        if cat is None:
            raise MoveRefused(
                gettext("分类 %(category)s 不存在") % {"category": inp.category},
                "category_invalid",
                400,
            )
        case.category = cat
    if inp.request_type:
        if inp.request_type not in RequestType.values:
            raise MoveRefused(
                gettext("未知的诉求类型：%(request_type)s") % {"request_type": inp.request_type},
                "request_type_invalid",
                400,
            )
        case.request_type = inp.request_type
    return Outcome()


def suggest_units(category: Category | None, region_code: str) -> tuple[Unit | None, list[Unit]]:
    """Lead and helper units from the dispatch rules: the most specific rule wins
    (deepest category first, then longest region prefix); else the category's unit; else
    the community committee of the place."""
    if category is None:
        return unit_at(Tier.COMMUNITY, region_code), []
    lineage = category.lineage()
    rules = list(
        DispatchRule.objects.filter(active=True, category__in=lineage)
        .select_related("lead_unit", "category")
        .prefetch_related("helper_units")
    )
    depth: dict[int, int] = {c.pk: i for i, c in enumerate(lineage)}
    fitting = [
        r
        for r in rules
        if r.category_id is not None and region_code.startswith(r.region_prefix or "")
    ]
    if fitting:
        best = min(fitting, key=lambda r: (depth[r.category_id or 0], -len(r.region_prefix or "")))
        return best.lead_unit, list(best.helper_units.all())
    for c in lineage:
        if c.handling_unit_id:
            return c.handling_unit, []
    # territorial matters (e.g. neighbour disputes) go to the village/community committee
    return unit_at(Tier.COMMUNITY, region_code), []


def assign(case: Any, lead: Unit, helpers: Iterable[Unit]) -> None:
    """Make `lead` the case's lead unit and `helpers` its helpers (earlier ones end)."""
    CaseAssignment.objects.filter(
        case=case, role__in=[CaseAssignment.LEAD, CaseAssignment.HELPER], active=True
    ).update(active=False)
    rows = [CaseAssignment(case=case, unit=lead, role=CaseAssignment.LEAD)]
    rows += [
        CaseAssignment(case=case, unit=h, role=CaseAssignment.HELPER)
        for h in helpers
        if h.pk != lead.pk
    ]
    CaseAssignment.objects.bulk_create(rows)
    case.unit = lead


@rule("dispatch", "redispatch", input=DispatchIn)
def dispatch(ctx: Ctx, inp: DispatchIn) -> Outcome:
    case = ctx.case
    if inp.unit is None:
        lead, helpers = suggest_units(case.category, case.region_code)
        if lead is None:
            raise MoveRefused(gettext("没有匹配的派单规则，请选择承办单位"), "unit_required", 400)
    else:
        lead = unit_by_ref(inp.unit)
        helpers = [unit_by_ref(h) for h in inp.helpers]
    assign(case, lead, helpers)
    case.dispatched_at = case.dispatched_at or ctx.now
    notify(
        f"dispatch:{case.number}:{case.version}:{lead.code}",
        f"【新工单】{case.number} {case.title}，请于 {when(case.deadline)} 前办结",
        kind="dispatch",
        unit=lead,
        case=case,
        now=ctx.now,
    )
    return Outcome({"unit": lead.name, "helpers": [h.name for h in helpers]})


@rule("accept", input=MoveInput)
def accept(ctx: Ctx, inp: MoveInput) -> Outcome:
    ctx.case.first_response_at = ctx.case.first_response_at or ctx.now
    return Outcome()


@rule("return", input=MoveInput)
def return_case(ctx: Ctx, inp: MoveInput) -> Outcome:
    case = ctx.case
    case.return_count += 1
    returned_by = case.unit
    CaseAssignment.objects.filter(case=case, role=CaseAssignment.LEAD, active=True).update(
        active=False
    )
    case.unit = case.owner_unit
    return Outcome({"returned_by": returned_by.name if returned_by else ""})


@rule("handle", input=HandleIn)
def handle(ctx: Ctx, inp: HandleIn) -> Outcome:
    note = inp.note or ctx.reason
    if not note:
        raise MoveRefused(gettext("请填写处置情况"), "note_required", 400)
    ctx.case.first_response_at = ctx.case.first_response_at or ctx.now
    if inp.public:
        ctx.case.public_note = note
    return Outcome({"note": note}, public=inp.public)


@rule("report_handling", input=ResultIn)
def report_handling(ctx: Ctx, inp: ResultIn) -> Outcome:
    result = inp.result or ctx.reason
    if not result:
        raise MoveRefused(gettext("请填写办理结果"), "result_required", 400)
    case = ctx.case
    case.handled_at = ctx.now
    case.first_response_at = case.first_response_at or ctx.now
    case.public_note = result
    return Outcome({"result": result})


@rule("escalate", input=MoveInput)
def escalate(ctx: Ctx, inp: MoveInput) -> Outcome:
    case = ctx.case
    if case.tier >= Tier.DISTRICT:
        raise MoveRefused(gettext("该诉求已在区县层级，无法继续上报"), "top_level", 409)
    new_tier = case.tier + 1
    owner = unit_at(new_tier, case.region_code)
    while owner is None and new_tier < Tier.DISTRICT:
        new_tier += 1
        owner = unit_at(new_tier, case.region_code)
    CaseAssignment.objects.filter(case=case, active=True).exclude(
        role=CaseAssignment.WHISTLE
    ).update(active=False)
    old = case.tier
    case.tier = new_tier
    case.owner_unit = owner
    case.unit = owner
    case.escalate_count += 1
    case.registered_at = case.registered_at or ctx.now
    if owner is not None:
        notify(
            f"escalate:{case.number}:{case.version}",
            f"【上报】{case.number} {case.title} 已上报至{owner.name}：{ctx.reason[:40]}",
            kind="escalate",
            unit=owner,
            case=case,
            now=ctx.now,
        )
    return Outcome({"from_level": old, "to_level": new_tier})
