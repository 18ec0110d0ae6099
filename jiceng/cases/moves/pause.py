"""Pause (缓办): the lead unit asks for 1–60 working days (request_pause), the centre
approves (the deadline and yellow time move by as many working days) or rejects; resume
ends a pause early. Source: the hotline rule that a delay is asked for and approved, never
taken (DESIGN.md).
"""

from __future__ import annotations

from django.utils.translation import gettext
from pydantic import Field

from jiceng.cases import deadlines
from jiceng.cases.moves.base import Ctx, MoveInput, MoveRefused, Outcome, plain, rule

MAX_PAUSE_DAYS = 60

plain("reject_pause", "resume")


class RequestPauseIn(MoveInput):
    days: int | None = Field(
        None, title="缓办天数", ge=1, le=MAX_PAUSE_DAYS, description="working days"
    )


class ApprovePauseIn(MoveInput):
    days: int | None = Field(
        None, title="缓办天数", ge=1, le=MAX_PAUSE_DAYS, description="default: the days asked for"
    )


@rule("request_pause", input=RequestPauseIn)
def request_pause(ctx: Ctx, inp: RequestPauseIn) -> Outcome:
    days = inp.days or 0
    if not 1 <= days <= MAX_PAUSE_DAYS:
        raise MoveRefused(
            gettext("缓办天数须为 1 至 %(max_pause_days)s 个工作日")
            % {"max_pause_days": MAX_PAUSE_DAYS},
            "days_invalid",
            400,
        )
    return Outcome({"days": days})


@rule("approve_pause", input=ApprovePauseIn)
def approve_pause(ctx: Ctx, inp: ApprovePauseIn) -> Outcome:
    case = ctx.case
    days = inp.days
    if not days:
        req = case.events.filter(move="request_pause").order_by("-at", "-id").first()
        days = int(req.data.get("days") or 0) if req else 0
    if not 1 <= days <= MAX_PAUSE_DAYS:
        raise MoveRefused(gettext("未找到缓办申请天数"), "days_invalid", 400)
    if case.deadline is not None:
        new_deadline = deadlines.extend(case.deadline, days, "workdays").deadline
        new_yellow = deadlines.extend(case.yellow_at or case.deadline, days, "workdays").deadline
        case.deadline, case.yellow_at = new_deadline, new_yellow
        case.card = ""
    case.paused_days += days
    return Outcome({"days": days, "deadline": case.deadline.isoformat() if case.deadline else None})
