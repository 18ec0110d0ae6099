"""Close and reopen: verify_close (核查结案), rework (退回重办), close_on_spot (网格就地办结),
archive (归档), reopen (重新办理), cancel (作废).

Closing stops the clock (on time or not), ends every assignment, queues the resident's
notice and sets the return visit due (deadlines.visit_due). Reopening starts a fresh time
limit from now and gives the case back to its last lead unit.
"""

from __future__ import annotations

from datetime import datetime

from django.utils.translation import gettext
from pydantic import Field

from jiceng.cases import deadlines
from jiceng.cases.intake import limit_for
from jiceng.cases.models import Case, CaseAssignment, Tier
from jiceng.cases.moves.base import Ctx, MoveInput, MoveRefused, Outcome, rule
from jiceng.cases.notifications import notify
from jiceng.lib import phones


class VerifyCloseIn(MoveInput):
    public_note: str = Field("", title="公开办理说明", max_length=2000)


class CloseOnSpotIn(MoveInput):
    result: str = Field("", title="就地处置情况", max_length=2000)


def close(case: Case, now: datetime, tier: int) -> None:
    """The facts of closing at `tier`, and the resident's notice."""
    case.closed_at = now
    case.closed_tier = tier
    case.closed_on_time = case.deadline is None or now <= case.deadline
    case.visit_due_at = deadlines.visit_due(now)
    CaseAssignment.objects.filter(case=case, active=True).update(active=False)
    if phones.is_mobile(case.reporter_phone):  # an SMS reaches a mobile only
        notify(
            f"closed:{case.number}:{case.reopen_count}",
            f"您的诉求 {case.number} 已办结：{case.public_note[:60]}。欢迎查询并评价。",
            kind="closed",
            phone=case.reporter_phone,
            case=case,
            now=now,
        )


def set_due(case: Case, due: deadlines.Due) -> None:
    case.deadline = due.deadline
    case.yellow_at = due.yellow_at
    case.calendar_missing = due.calendar_missing
    case.card = ""


@rule("verify_close", input=VerifyCloseIn)
def verify_close(ctx: Ctx, inp: VerifyCloseIn) -> Outcome:
    if inp.public_note:
        ctx.case.public_note = inp.public_note
    close(ctx.case, ctx.now, ctx.case.tier)
    return Outcome()


@rule("rework", input=MoveInput)
def rework(ctx: Ctx, inp: MoveInput) -> Outcome:
    ctx.case.rework_count += 1
    ctx.case.handled_at = None
    return Outcome()


@rule("close_on_spot", input=CloseOnSpotIn)
def close_on_spot(ctx: Ctx, inp: CloseOnSpotIn) -> Outcome:
    case = ctx.case
    cat = case.category
    if cat is None or not any(c.grid_can_fix for c in cat.lineage()):
        raise MoveRefused(
            gettext("该类事项不能由网格就地办结，请上报社区"), "not_grid_fixable", 409
        )
    result = inp.result or ctx.reason
    if not result:
        raise MoveRefused(gettext("请填写就地处置情况"), "result_required", 400)
    case.public_note = result
    case.first_response_at = case.first_response_at or ctx.now
    case.registered_at = case.registered_at or ctx.now
    case.handled_at = ctx.now
    case.closed_on_spot = True
    close(case, ctx.now, Tier.GRID)
    return Outcome({"result": result})


@rule("archive", input=MoveInput)
def archive(ctx: Ctx, inp: MoveInput) -> Outcome:
    ctx.case.archived_at = ctx.now
    return Outcome()


@rule("reopen", input=MoveInput)
def reopen(ctx: Ctx, inp: MoveInput) -> Outcome:
    case = ctx.case
    case.reopen_count += 1
    case.closed_at = None
    case.closed_tier = None
    case.closed_on_time = None
    case.closed_on_spot = False
    case.archived_at = None
    case.handled_at = None
    case.visit_due_at = None
    amount, unit = limit_for(case.category, case.urgency)
    set_due(case, deadlines.compute(ctx.now, amount, unit))
    last_lead = (
        CaseAssignment.objects.filter(case=case, role=CaseAssignment.LEAD)
        .order_by("-id")
        .select_related("unit")
        .first()
    )
    if last_lead is not None:
        CaseAssignment.objects.filter(pk=last_lead.pk).update(active=True)
        case.unit = last_lead.unit
    else:
        case.unit = case.owner_unit
        if case.tier == Tier.GRID:
            case.unit = None
    return Outcome()


@rule("cancel", input=MoveInput)
def cancel(ctx: Ctx, inp: MoveInput) -> Outcome:
    ctx.case.public_note = f"经核实为无效诉求：{ctx.reason}"
    return Outcome()
