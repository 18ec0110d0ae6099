"""Pages of deliberation: the village's topics (public to the village), a topic with its
meetings, votes, decision and follow-up tasks; forms for staff, residents and household
representatives."""

from __future__ import annotations

from datetime import date, datetime

from django.contrib import messages as flash
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext

from jiceng.community import access, deliberation
from jiceng.community.models import Membership, Task, Topic, Vote


def _errors(exc: ValidationError) -> str:
    return "；".join(exc.messages)


def _readable(request, code: str):
    v = access.village(code)
    if not access.can_read_board(request.user, code):
        if not request.user.is_authenticated:
            return v, redirect(f"/accounts/login/?next={request.path}")
        raise Http404(gettext("该村（社区）不存在或您无权查看"))
    return v, None


def topics(request, code: str):
    v, bounce = _readable(request, code)
    if bounce:
        return bounce
    if request.method == "POST":
        if not request.user.is_authenticated:
            raise PermissionDenied(gettext("请先登录"))
        try:
            t = deliberation.raise_topic(
                request.user, code, request.POST.get("title", ""), request.POST.get("body", "")
            )
        except ValidationError as exc:
            flash.error(request, _errors(exc))
        else:
            flash.success(request, "议题已提出")
            return redirect("community:topic", code=code, pk=t.pk)
    user = request.user
    return render(
        request,
        "community/topics.html",
        {
            "v": v,
            "topics": list(deliberation.topics(code)[:100]),
            "acc": deliberation.accountability(code),
            "can_raise": access.is_member(user, code)
            or access.staff_covers(user, code, "community.deliberate"),
            "form": request.POST,
        },
    )


def _dt(raw: str) -> datetime:
    try:
        dt = datetime.fromisoformat((raw or "").strip())
    except ValueError:
        raise ValidationError(gettext("时间格式不正确")) from None
    return timezone.make_aware(dt) if timezone.is_naive(dt) else dt


def _int(raw: str, label: str) -> int:
    raw = (raw or "").strip()
    if not raw.isdigit():
        raise ValidationError(gettext("%(label)s应为整数") % {"label": label})
    return int(raw)


def _day(raw: str) -> date | None:
    try:
        return date.fromisoformat((raw or "").strip())
    except ValueError:
        return None


def topic(request, code: str, pk: int):
    v, bounce = _readable(request, code)
    if bounce:
        return bounce
    t = get_object_or_404(Topic, pk=pk, village_code=code)
    user = request.user
    if request.method == "POST":
        if not user.is_authenticated:
            raise PermissionDenied(gettext("请先登录"))
        p = request.POST
        action = p.get("action", "")
        try:
            if action == "vote":
                deliberation.vote(user, t, p.get("choice", ""))
            elif action == "meeting":
                deliberation.record_meeting(
                    user,
                    t,
                    at=_dt(p.get("at", "")),
                    place=p.get("place", ""),
                    expected=_int(p.get("expected", ""), gettext("应到人数")),
                    attended=_int(p.get("attended", ""), gettext("实到人数")),
                    minutes=p.get("minutes", ""),
                )
            elif action == "open_vote":
                deliberation.open_vote(user, t)
            elif action == "decide":
                raw = p.get("adopted", "")
                deliberation.decide(user, t, p.get("text", ""), {"yes": True, "no": False}.get(raw))
            elif action == "task":
                deliberation.add_task(
                    user, t.decision, p.get("title", ""), p.get("owner", ""), _day(p.get("due", ""))
                )
            elif action == "progress":
                task = get_object_or_404(Task, pk=p.get("task") or 0, decision__topic=t)
                deliberation.update_task(
                    user, task, _int(p.get("progress", ""), gettext("进度")), p.get("note", "")
                )
            else:
                raise ValidationError(gettext("未知的操作"))
        except ValidationError as exc:
            flash.error(request, _errors(exc))
        else:
            flash.success(request, "已保存")
        return redirect("community:topic", code=code, pk=pk)
    m = Membership.objects.filter(user=user).first() if user.is_authenticated else None
    my_vote = t.votes.filter(voter=user).first() if user.is_authenticated else None
    decision = getattr(t, "decision", None) if t.status in ("adopted", "rejected") else None
    tasks = list(decision.tasks.prefetch_related("updates")) if decision else []
    return render(
        request,
        "community/topic.html",
        {
            "v": v,
            "t": t,
            "meetings": list(t.meetings.all()),
            "tally": deliberation.tally(t),
            "decision": decision,
            "tasks": tasks,
            "today": timezone.localdate(),
            "is_staff": access.staff_covers(user, code, "community.deliberate"),
            "can_vote": t.status == "voting"
            and m is not None
            and m.village_code == code
            and m.household_rep
            and my_vote is None,
            "my_vote": my_vote,
            "choices": Vote.Choice.choices,
            "now": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        },
    )
