"""Return visit (回访): after closing, a centre calls the reporter (or the reporter rates on
the public page) — satisfaction (满意/基本满意/不满意) and resolved or not. An unsatisfied
answer reopens the case, at most MAX_REOPEN times by rule (follow-up move `reopen`).
"""

from __future__ import annotations

from typing import Literal

from django.utils.translation import gettext
from pydantic import Field

from jiceng.cases.models import Case, ReturnVisit, Satisfaction
from jiceng.cases.moves.base import Ctx, MoveInput, MoveRefused, Outcome, Then, rule
from jiceng.cases.moves.engine import transition
from jiceng.cases.queries import find_public

# Return-visit rule: these answers reopen the case (at most MAX_REOPEN times by rule).
REOPEN_ON = {Satisfaction.UNSATISFIED}
MAX_REOPEN = 2


class ReturnVisitIn(MoveInput):
    satisfaction: str | None = Field(
        None, title="满意度", description="satisfied/basic/unsatisfied"
    )
    resolved: bool | None = Field(None, title="是否解决")
    comment: str = Field("", title="回访意见", max_length=1000)
    channel: Literal["phone", "web", "sms"] = Field("phone", title="回访方式")


@rule("return_visit", input=ReturnVisitIn, offer=lambda case: not already_rated(case))
def return_visit(ctx: Ctx, inp: ReturnVisitIn) -> Outcome:
    case, now = ctx.case, ctx.now
    sat = inp.satisfaction
    if sat not in Satisfaction.values:
        raise MoveRefused(
            gettext("请选择满意度（满意/基本满意/不满意）"), "satisfaction_required", 400
        )
    if inp.resolved is None:
        raise MoveRefused(gettext("请选择是否解决"), "resolved_required", 400)
    # the resident rates once per closing; a centre's call may be recorded again
    if ctx.actor == "resident" and already_rated(case):
        raise MoveRefused(gettext("该诉求已评价，感谢您的反馈"), "already_rated", 409)
    reopen = sat in REOPEN_ON and case.reopen_count < MAX_REOPEN
    user = ctx.user
    ReturnVisit.objects.create(
        case=case,
        at=now,
        by=user if user is not None and user.is_authenticated else None,
        channel=inp.channel,
        satisfaction=sat,
        resolved=inp.resolved,
        comment=(inp.comment or ctx.reason)[:1000],
        reopened=reopen,
    )
    case.satisfaction = sat
    case.resolved = inp.resolved
    case.rated_at = now
    case.visit_due_at = None
    then = [Then("reopen", "回访不满意，按规则重新办理")] if reopen else []
    return Outcome({"satisfaction": sat, "resolved": inp.resolved}, then=then)


def already_rated(case: Case) -> bool:
    """Rated since it was last closed."""
    return case.rated_at is not None and case.rated_at >= (case.closed_at or case.rated_at)


def rate_by_resident(
    number: str, phone: str, *, satisfaction: str, resolved: bool | None, comment: str = ""
) -> Case:
    """The public page: a resident rates their closed case, proven by number + phone.
    Raises Http404 (no such pair) or MoveRefused."""
    case = find_public(number, phone)
    return transition(
        case,
        "return_visit",
        user=None,
        actor="resident",
        satisfaction=satisfaction,
        resolved=resolved,
        comment=comment,
        channel="web",
    )
