"""Household points (积分制) under the village's rules (村规民约): rules as data, entries with
evidence recorded by grid workers or village staff and approved by another person, monthly
totals, and the 红黑榜.

Rules: an entry counts only once approved, and never by its own recorder (four eyes); its
points are copied from the rule when entered, so changing a rule later does not rewrite
history; a household's total is the sum of its approved entries (tested against the sum).
The public board names households on the 红榜 in full (an honour the village confers) and
masks them on the 黑榜 (王**家): naming and shaming is not the purpose of a deduction.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext

from jiceng.community import access
from jiceng.community.models import Membership, PointEntry, PointRule
from jiceng.lib.masks import mask_name

E = PointEntry.State
BOARD_SIZE = 10


def month_of(d: date) -> date:
    return d.replace(day=1)


def add_rule(
    user, village_code: str, *, category: str, name: str, points: int, source: str = ""
) -> PointRule:
    """A new rule of the village (recorded in its change history: config.py)."""
    from jiceng.community import config

    return config.add_rule(
        user, village_code, category=category, name=name, points=points, source=source
    )


def record(
    user,
    village_code: str,
    *,
    household_number: str,
    household_name: str,
    rule_id: int,
    evidence: str,
    on: date | None = None,
    now: datetime | None = None,
) -> PointEntry:
    """A grid worker or village staff member records points for a household (pending)."""
    access.village(village_code)
    access.require_worker(user, village_code, "community.points")
    now = now or timezone.now()
    on = on or timezone.localdate()
    errors = []
    rule = PointRule.objects.filter(pk=rule_id, village_code=village_code, active=True).first()
    if rule is None:
        errors.append("请选择本村有效的积分事项")
    if not (household_number or "").strip() or not (household_name or "").strip():
        errors.append("请填写户号和户主")
    if len((evidence or "").strip()) < 4:
        errors.append("请写明事实依据（至少 4 个字）")
    if on > timezone.localdate(now):
        errors.append("日期不能晚于今天")
    if errors:
        raise ValidationError(errors)
    assert rule is not None
    return PointEntry.objects.create(
        village_code=village_code,
        household_number=household_number.strip()[:40],
        household_name=household_name.strip()[:50],
        rule=rule,
        points=rule.points,
        month=month_of(on),
        evidence=evidence.strip()[:300],
        recorded_by=user,
        recorded_at=now,
    )


def approve(user, entry: PointEntry, ok: bool = True, now: datetime | None = None) -> PointEntry:
    """Approve (or reject) a pending entry; the recorder may not approve their own."""
    access.require_staff(user, entry.village_code, "community.points_approve")
    with transaction.atomic():
        e = PointEntry.objects.select_for_update().get(pk=entry.pk)
        if e.state != E.PENDING:
            raise ValidationError(gettext("该积分记录已审核"))
        if e.recorded_by_id == user.pk:
            raise PermissionDenied(gettext("不能审核自己录入的积分"))
        e.state = E.APPROVED if ok else E.REJECTED
        e.approved_by = user
        e.approved_at = now or timezone.now()
        e.save(update_fields=["state", "approved_by", "approved_at"])
    return e


def totals(village_code: str, month: date | None = None) -> list[dict[str, Any]]:
    """[{"household_number", "household_name", "points"}] of approved entries, best first;
    for one month, or for all time without `month`."""
    qs = PointEntry.objects.filter(village_code=village_code, state=E.APPROVED)
    if month is not None:
        qs = qs.filter(month=month_of(month))
    rows = (
        qs.values("household_number")
        .annotate(points=Sum("points"))
        .order_by("-points", "household_number")
    )
    names = dict(qs.values_list("household_number", "household_name"))
    return [
        {
            "household_number": r["household_number"],
            "household_name": names.get(r["household_number"], ""),
            "points": r["points"],
        }
        for r in rows
    ]


def boards(village_code: str, month: date) -> tuple[list[dict], list[dict]]:
    """(红榜, 黑榜) of a month: the best households with positive totals, and those with
    negative totals (masked)."""
    rows = totals(village_code, month)
    red = [r for r in rows if r["points"] > 0][:BOARD_SIZE]
    black = [
        {**r, "household_name": mask_name(r["household_name"])}
        for r in sorted((r for r in rows if r["points"] < 0), key=lambda r: r["points"])
    ][:BOARD_SIZE]
    return red, black


def my_household(user) -> tuple[str, str] | None:
    """(village code, household number) of a resident, if the village registered it."""
    m = (
        Membership.objects.filter(user=user).first()
        if getattr(user, "is_authenticated", False)
        else None
    )
    if m is None or not m.household_number:
        return None
    return m.village_code, m.household_number


def history(village_code: str, household_number: str) -> list[PointEntry]:
    return list(
        PointEntry.objects.filter(village_code=village_code, household_number=household_number)
        .select_related("rule")
        .order_by("-month", "-recorded_at")
    )
