"""Supervision: remind (催办) and supervise (督办) by a centre. The worker's yellow and red
cards write the same two moves as the system (worker.py)."""

from __future__ import annotations

from django.utils.translation import gettext
from pydantic import AliasChoices, Field

from jiceng.cases.intake import unit_at
from jiceng.cases.models import CaseEvent, Channel, Tier
from jiceng.cases.moves.base import Ctx, MoveInput, MoveRefused, Outcome, rule
from jiceng.cases.notifications import notify, when


class SuperviseIn(MoveInput):
    tier: int | None = Field(
        None,
        title="督办层级",
        description="tier that supervises: 2 community, 3 street, 4 district (default one up)",
        validation_alias=AliasChoices("tier", "level"),
    )


@rule("remind", input=MoveInput)
def remind(ctx: Ctx, inp: MoveInput) -> Outcome:
    case = ctx.case
    case.remind_count += 1
    if case.unit is not None:
        notify(
            f"remind:{case.number}:{case.remind_count}",
            f"【催办】{case.number} {case.title}，期限 {when(case.deadline)}，请抓紧办理",
            kind="remind",
            unit=case.unit,
            case=case,
            now=ctx.now,
        )
    return Outcome({"count": case.remind_count})


@rule("supervise", input=SuperviseIn)
def supervise(ctx: Ctx, inp: SuperviseIn) -> Outcome:
    case = ctx.case
    tier = inp.tier or min(case.tier + 1, Tier.DISTRICT)
    if tier not in Tier.values:
        raise MoveRefused(gettext("督办层级无效"), "tier_invalid", 400)
    case.supervised_tier = tier
    sup = unit_at(tier, case.region_code)
    for u in (sup, case.unit):
        if u is not None:
            notify(
                f"supervise:{case.number}:{tier}:{u.code}:{case.version}",
                f"【督办】{case.number} {case.title}：{ctx.reason[:40]}",
                kind="supervise",
                unit=u,
                case=case,
                now=ctx.now,
            )
    return Outcome({"level": tier})


@rule("take_alarm", input=MoveInput, offer=lambda case: False)
def take_alarm(ctx: Ctx, inp: MoveInput) -> Outcome:
    """接警 on the command wall: who took the alarm and when, on the case's history. The
    wall calls it once per alarm (its AlarmTake is unique); a second take is refused here
    too, the case row being locked."""
    if ctx.case.channel != Channel.ALARM:
        raise MoveRefused(gettext("只有一键报警才能接警"), "not_an_alarm", 409)
    if CaseEvent.objects.filter(case=ctx.case, move="take_alarm").exists():
        raise MoveRefused(gettext("该报警已有人接警"), "already_taken", 409)
    return Outcome({})
