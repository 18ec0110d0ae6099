"""Whistle (吹哨报到): a street summons departments to one case with a time limit; each
department reports in (report_in), and the street rates each report-in (rate_report_in).
Source: 北京 "街乡吹哨、部门报到" (DESIGN.md)."""

from __future__ import annotations

import math
from datetime import timedelta

from django.utils.translation import gettext
from pydantic import Field, field_validator

from jiceng.cases.intake import unit_at
from jiceng.cases.models import CaseAssignment, Tier, Whistle, WhistleCall
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

MAX_LIMIT_HOURS = 24 * 30


class WhistleIn(MoveInput):
    units: list[Ref] = Field([], title="召集部门", max_length=30)
    limit_hours: float | None = Field(None, title="报到时限（小时）")

    @field_validator("limit_hours")
    @classmethod
    def _hours(cls, v: float | None) -> float | None:
        if v is not None and not (math.isfinite(v) and 0 < v <= MAX_LIMIT_HOURS):
            raise ValueError(
                gettext("报到时限须为 0 至 %(max_limit_hours)s 小时")
                % {"max_limit_hours": MAX_LIMIT_HOURS}
            )
        return v


class ReportInIn(MoveInput):
    report: str = Field("", title="报到情况", max_length=2000)
    unit: OptionalRef = Field(None, title="报到部门", description="superuser only")


class RateReportInIn(MoveInput):
    unit: OptionalRef = Field(None, title="报到部门")
    rating: int | None = Field(None, title="评分", description="1–5")


@rule("whistle", input=WhistleIn)
def whistle(ctx: Ctx, inp: WhistleIn) -> Outcome:
    case, user, now = ctx.case, ctx.user, ctx.now
    units = [unit_by_ref(u) for u in inp.units]
    if not units:
        raise MoveRefused(gettext("请选择要吹哨召集的部门"), "units_required", 400)
    hours = inp.limit_hours or 24
    street = unit_at(Tier.STREET, case.region_code) or (user.unit if user else None)
    if street is None:
        raise MoveRefused(gettext("该诉求所在街镇没有综治中心，不能吹哨"), "no_street", 409)
    w = Whistle.objects.create(case=case, unit=street, called_by=user, at=now, note=ctx.reason)
    due = now + timedelta(hours=hours)
    for u in units:
        WhistleCall.objects.create(whistle=w, unit=u, due_at=due)
        CaseAssignment.objects.create(case=case, unit=u, role=CaseAssignment.WHISTLE)
        notify(
            f"whistle:{w.pk}:{u.code}",
            f"【吹哨报到】{street.name}召集：{case.number} {case.title}，请于 {when(due)} 前报到",
            kind="whistle",
            unit=u,
            case=case,
            now=now,
        )
    return Outcome({"whistle": w.pk, "units": [u.name for u in units], "due": due.isoformat()})


@rule("report_in", input=ReportInIn)
def report_in(ctx: Ctx, inp: ReportInIn) -> Outcome:
    case, user, now = ctx.case, ctx.user, ctx.now
    unit_id: int | None = getattr(user, "unit_id", None)
    call = (
        WhistleCall.objects.select_for_update()
        .filter(whistle__case=case, unit_id=unit_id, reported_at=None)
        .first()
        if unit_id
        else None
    )
    if call is None and user is not None and user.is_superuser and inp.unit:
        call = WhistleCall.objects.filter(
            whistle__case=case, unit=unit_by_ref(inp.unit), reported_at=None
        ).first()
    if call is None:
        raise MoveRefused(gettext("您的单位没有待报到的召集"), "no_call", 409)
    text = inp.report or ctx.reason
    if not text:
        raise MoveRefused(gettext("请填写报到情况"), "report_required", 400)
    call.reported_at = now
    call.report = text
    call.on_time = now <= call.due_at
    call.save()
    case.first_response_at = case.first_response_at or now
    return Outcome({"unit": call.unit.name, "on_time": call.on_time})


@rule(
    "rate_report_in",
    input=RateReportInIn,
    offer=lambda case: WhistleCall.objects.filter(
        whistle__case=case, reported_at__isnull=False
    ).exists(),
)
def rate_report_in(ctx: Ctx, inp: RateReportInIn) -> Outcome:
    unit = unit_by_ref(inp.unit)
    rating = inp.rating or 0
    if not 1 <= rating <= 5:
        raise MoveRefused(gettext("评分须为 1 至 5 分"), "rating_invalid", 400)
    call = (
        WhistleCall.objects.filter(whistle__case=ctx.case, unit=unit)
        .order_by("-whistle__at")
        .first()
    )
    if call is None:
        raise MoveRefused(gettext("该部门未被召集"), "no_call", 409)
    call.rating = rating
    call.rating_note = ctx.reason[:200]
    call.rated_at = ctx.now
    call.save()
    return Outcome({"unit": unit.name, "rating": rating})
