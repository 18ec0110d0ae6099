"""Deliberation (议事协商, 安康 两说一商): topics raised by residents or cadres, meetings with
attendance and minutes, votes of household representatives (one each), a decision with its
count, and follow-up tasks tracked to completion with a timeline (Decidim accountability).

All of it is public to the village (read under the board's rule, `access.can_read_board`).
Who acts: village staff covering the village ("community.deliberate") record meetings,
open votes, decide and track tasks; a resident member raises topics; a household
representative (`Membership.household_rep`) votes.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from jiceng.accounts.models import Role
from jiceng.community import access
from jiceng.community.models import Decision, Meeting, Membership, Task, TaskUpdate, Topic, Vote

T = Topic.Status


def _staff(user, code: str) -> None:
    access.require_staff(user, code, "community.deliberate")


def raise_topic(
    user, village_code: str, title: str, body: str, now: datetime | None = None
) -> Topic:
    """村民说事: a resident of the village or its staff put a matter on the table."""
    access.village(village_code)
    is_resident = getattr(user, "role", None) == Role.RESIDENT
    if is_resident:
        access.require_resident_of(user, village_code)
    else:
        _staff(user, village_code)
    title = (title or "").strip()
    body = (body or "").strip()
    errors = []
    if not title:
        errors.append("请填写议题")
    elif len(title) > 120:
        errors.append("议题不能超过 120 字")
    if len(body) < 10:
        errors.append("请说明议题的情况（至少 10 个字）")
    if errors:
        raise ValidationError(errors)
    return Topic.objects.create(
        village_code=village_code,
        title=title,
        body=body,
        raised_by=user,
        raised_by_resident=is_resident,
        created_at=now or timezone.now(),
    )


def record_meeting(
    user,
    topic: Topic,
    *,
    at: datetime,
    place: str,
    expected: int,
    attended: int,
    minutes: str,
    now: datetime | None = None,
) -> Meeting:
    _staff(user, topic.village_code)
    now = now or timezone.now()
    errors = []
    if at > now:
        errors.append("会议时间不能晚于现在")
    if not (place or "").strip():
        errors.append("请填写会议地点")
    if expected < 1 or attended < 0 or attended > expected:
        errors.append("实到人数应在 0 到应到人数之间")
    if len((minutes or "").strip()) < 10:
        errors.append("请填写会议记录（至少 10 个字）")
    if errors:
        raise ValidationError(errors)
    return Meeting.objects.create(
        topic=topic,
        at=at,
        place=place.strip()[:200],
        expected=expected,
        attended=attended,
        minutes=minutes.strip(),
        recorded_by=user,
    )


def open_vote(user, topic: Topic) -> Topic:
    _staff(user, topic.village_code)
    with transaction.atomic():
        t = Topic.objects.select_for_update().get(pk=topic.pk)
        if t.status != T.PROPOSED:
            raise ValidationError(gettext("只有刚提出的议题可以开始表决"))
        t.status = T.VOTING
        t.save(update_fields=["status"])
    return t


def vote(user, topic: Topic, choice: str, now: datetime | None = None) -> Vote:
    """A household representative of the village votes once; a second vote is refused
    (the unique constraint stands behind the check, so two clicks at once cannot count
    twice)."""
    m = Membership.objects.filter(user=user).first() if user.is_authenticated else None
    if m is None or m.village_code != topic.village_code or not m.household_rep:
        raise PermissionDenied(gettext("只有本村的户代表可以表决"))
    if choice not in Vote.Choice.values:
        raise ValidationError(gettext("表决意见无效"))
    if Topic.objects.filter(pk=topic.pk).values_list("status", flat=True).first() != T.VOTING:
        raise ValidationError(gettext("该议题不在表决中"))
    try:
        with transaction.atomic():
            return Vote.objects.create(
                topic=topic, voter=user, choice=choice, at=now or timezone.now()
            )
    except IntegrityError:
        raise ValidationError(gettext("您已经表决过了，每户只能表决一次")) from None


def tally(topic: Topic) -> dict[str, int]:
    counts = dict(
        topic.votes.values_list("choice").annotate(n=Count("id")).values_list("choice", "n")
    )
    return {c: counts.get(c, 0) for c in Vote.Choice.values}


def decide(user, topic: Topic, text: str, adopted: bool | None = None, now=None) -> Decision:
    """The decision; with a vote it carries the count and is adopted by a simple majority
    of the votes cast (村民代表会议 rule; a village may record otherwise by deciding without
    a vote), without a vote `adopted` must be given."""
    _staff(user, topic.village_code)
    text = (text or "").strip()
    if len(text) < 4:
        raise ValidationError(gettext("请填写决议内容"))
    with transaction.atomic():
        t = Topic.objects.select_for_update().get(pk=topic.pk)
        if t.status not in (T.PROPOSED, T.VOTING):
            raise ValidationError(gettext("该议题已有决议"))
        counts = tally(t)
        if t.status == T.VOTING:
            cast = sum(counts.values())
            if cast == 0:
                raise ValidationError(gettext("尚无人表决，不能按表决结果形成决议"))
            adopted = counts["yes"] * 2 > cast
        elif adopted is None:
            raise ValidationError(gettext("请选择决议是否通过"))
        d = Decision.objects.create(
            topic=t,
            text=text,
            adopted=bool(adopted),
            yes=counts["yes"],
            no=counts["no"],
            abstain=counts["abstain"],
            decided_at=now or timezone.now(),
            decided_by=user,
        )
        t.status = T.ADOPTED if adopted else T.REJECTED
        t.save(update_fields=["status"])
    return d


def add_task(user, decision: Decision, title: str, owner: str, due: date | None) -> Task:
    _staff(user, decision.topic.village_code)
    errors = []
    if not decision.adopted:
        errors.append("未通过的决议没有落实任务")
    if not (title or "").strip():
        errors.append("请填写任务")
    if not (owner or "").strip():
        errors.append("请填写责任人")
    if due is None:
        errors.append("请填写完成时限")
    if errors:
        raise ValidationError(errors)
    assert due is not None
    return Task.objects.create(
        decision=decision, title=title.strip()[:200], owner=owner.strip()[:50], due=due
    )


def update_task(user, task: Task, progress: int, note: str, now: datetime | None = None) -> Task:
    """A timeline entry; progress only moves forward, 100 % completes the task."""
    _staff(user, task.decision.topic.village_code)
    now = now or timezone.now()
    note = (note or "").strip()
    with transaction.atomic():
        t = Task.objects.select_for_update().get(pk=task.pk)
        if t.done_at is not None:
            raise ValidationError(gettext("该任务已完成"))
        if not 0 <= progress <= 100 or progress < t.progress:
            raise ValidationError(
                gettext("进度应在 %(progress)s%% 到 100%% 之间") % {"progress": t.progress}
            )
        if not note:
            raise ValidationError(gettext("请说明进展"))
        TaskUpdate.objects.create(task=t, at=now, progress=progress, note=note[:300], by=user)
        t.progress = progress
        if progress == 100:
            t.done_at = now
        t.save(update_fields=["progress", "done_at"])
    return t


def topics(village_code: str) -> QuerySet[Topic]:
    return Topic.objects.filter(village_code=village_code).select_related("decision")


def accountability(village_code: str, today: date | None = None) -> dict[str, Any]:
    """How far the village's decisions got: tasks done, in progress, overdue."""
    today = today or timezone.localdate()
    tasks = Task.objects.filter(decision__topic__village_code=village_code)
    total = tasks.count()
    done = tasks.filter(done_at__isnull=False).count()
    overdue = tasks.filter(done_at__isnull=True, due__lt=today).count()
    return {"total": total, "done": done, "overdue": overdue, "open": total - done}
