"""Merge and split: merge (并单) joins a case into another open case; split (拆分) makes
registered parts of a report that holds several matters.

The target of a merge gets an `absorb` event and each part a `split_from` event, through
the same history writer (each is a change of that case: its version moves too).
"""

from __future__ import annotations

from django.utils.translation import gettext
from pydantic import Field, field_validator

from jiceng.cases import deadlines, history
from jiceng.cases.access import visible_cases
from jiceng.cases.intake import county_code, limit_for, next_number, title_from
from jiceng.cases.models import Case, CaseAssignment, Category, Status
from jiceng.cases.moves.base import Ctx, MoveInput, MoveRefused, OptionalRef, Outcome, rule
from jiceng.cases.workflow import OPEN_STATES


class MergeIn(MoveInput):
    into: OptionalRef = Field(None, title="并入工单编号", description="case number to merge into")


class PartIn(MoveInput):
    description: str = Field("", title="子诉求内容", max_length=5000)
    title: str = Field("", title="子诉求标题", max_length=120)
    category: OptionalRef = Field(None, title="子诉求分类", description="category code")


class SplitIn(MoveInput):
    parts: list[PartIn] = Field([], title="子诉求", max_length=50)

    @field_validator("parts", mode="before")
    @classmethod
    def _texts(cls, v: object) -> object:
        # a page sends the parts as plain texts
        if isinstance(v, list):
            return [{"description": p} if isinstance(p, str) else p for p in v]
        return v


@rule("merge", input=MergeIn)
def merge(ctx: Ctx, inp: MergeIn) -> Outcome:
    case, user, now = ctx.case, ctx.user, ctx.now
    if not inp.into:
        raise MoveRefused(gettext("请填写要并入的工单编号"), "target_required", 400)
    found = Case.objects.filter(number=inp.into).first()
    if found is None:
        raise MoveRefused(gettext("请填写要并入的工单编号"), "target_required", 400)
    if found.pk == case.pk:
        raise MoveRefused(gettext("不能并入自身"), "target_invalid", 400)
    target = Case.objects.select_for_update().get(pk=found.pk)
    if target.status not in OPEN_STATES:
        raise MoveRefused(
            gettext("目标工单 %(number)s 已办结，不能并入") % {"number": target.number},
            "target_closed",
            409,
        )
    if user is not None and not visible_cases(user).filter(pk=target.pk).exists():
        raise MoveRefused(gettext("目标工单不存在或不在您的管辖范围内"), "target_invalid", 404)
    case.merged_into = target
    case.public_note = f"已与工单 {target.number} 合并办理"
    CaseAssignment.objects.filter(case=case, active=True).update(active=False)
    ev = history.event_row(
        target,
        "absorb",
        user,
        target.status,
        target.status,
        reason=ctx.reason,
        data={"merged": case.number},
        now=now,
        public=False,
    )
    history.write(target, [ev])
    return Outcome({"into": target.number})


def _category(code: str | None, default: Category | None) -> Category | None:
    if not code:
        return default
    cat = Category.objects.filter(code=code, active=True).first()
    if cat is None:
        raise MoveRefused(
            gettext("分类 %(code)s 不存在或已停用") % {"code": code}, "category_invalid", 400
        )
    return cat


@rule("split", input=SplitIn)
def split(ctx: Ctx, inp: SplitIn) -> Outcome:
    case, now = ctx.case, ctx.now
    parts = inp.parts
    if len(parts) < 2:
        raise MoveRefused(gettext("拆分至少需要两个子诉求"), "parts_required", 400)
    if any(len(p.description) < 5 for p in parts):
        raise MoveRefused(gettext("每个子诉求内容至少需要 5 个字"), "parts_invalid", 400)
    cats = [_category(p.category, case.category) for p in parts]
    numbers = []
    for p, cat in zip(parts, cats, strict=True):
        amount, unit = limit_for(cat, case.urgency)
        due = deadlines.compute(now, amount, unit)
        child = Case.objects.create(
            number=next_number(county_code(case.region_code), now),
            channel=case.channel,
            request_type=case.request_type,
            category=cat,
            title=(p.title or title_from(p.description))[:120],
            description=p.description,
            urgency=case.urgency,
            lon=case.lon,
            lat=case.lat,
            address=case.address,
            home_address=case.home_address,
            region_code=case.region_code,
            reporter=case.reporter,
            reporter_name=case.reporter_name,
            reporter_phone=case.reporter_phone,
            taken_by=case.taken_by,
            extra=case.extra,
            media=case.media,
            status=Status.REGISTERED,
            tier=case.tier,
            owner_unit=case.owner_unit,
            unit=case.owner_unit,
            parent=case,
            deadline=due.deadline,
            yellow_at=due.yellow_at,
            calendar_missing=due.calendar_missing,
            created_at=now,
            registered_at=now,
        )
        ev = history.event_row(
            child,
            "split_from",
            ctx.user,
            "",
            Status.REGISTERED,
            reason=ctx.reason,
            data={"parent": case.number},
            now=now,
        )
        history.write(child, [ev])
        numbers.append(child.number)
    case.public_note = f"已拆分为：{'、'.join(numbers)}"
    return Outcome({"parts": numbers})
