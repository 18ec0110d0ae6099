"""The staff whereabouts board (去向牌, 定州): who of the hall is at the window, out on
business, in a meeting or on leave, so a resident is told where to go instead of waiting.

A worker sets their own status; each change is appended. The board lists the hall's
workers (window clerks and proxy agents) in the viewer's territory with their latest
status; nobody set is shown as 未登记, not as present.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext

from jiceng.accounts import scope
from jiceng.accounts.models import Role, User
from jiceng.servicehall.applications import Refused
from jiceng.servicehall.models import StaffWhereabouts, Whereabouts

HALL_ROLES = (Role.WINDOW_CLERK, Role.PROXY_AGENT)


def set_status(user, status: str, note: str = "", until: datetime | None = None,
               now: datetime | None = None) -> StaffWhereabouts:  # fmt: skip
    """Record the user's own whereabouts. Only hall workers with a territory have one."""
    if user.role not in HALL_ROLES or not user.scope_id:
        raise Refused(gettext("只有窗口工作人员和代办员登记去向"), "not_hall_staff")
    if status not in Whereabouts.values:
        raise Refused(gettext("去向只能是：在岗、外出办事、开会、请假"), "bad_status")
    now = now or timezone.now()
    if until is not None and until <= now:
        raise Refused(gettext("预计返回时间应晚于现在"), "bad_until")
    return StaffWhereabouts.objects.create(user=user, region_code=user.scope.code, status=status,
                                           note=note.strip()[:100], until=until, at=now)  # fmt: skip


def board(user) -> list[dict]:
    """Hall workers in the viewer's territory with their latest whereabouts (2 queries)."""
    scope.require(user, "servicehall.view")
    latest = StaffWhereabouts.objects.filter(user=OuterRef("pk")).order_by("-at", "-id")
    people = (
        User.objects.filter(scope.code_filter(user, "scope__code"), role__in=HALL_ROLES,
                            is_active=True)
        .select_related("scope")
        .annotate(w_status=Subquery(latest.values("status")[:1]),
                  w_note=Subquery(latest.values("note")[:1]),
                  w_until=Subquery(latest.values("until")[:1]),
                  w_at=Subquery(latest.values("at")[:1]))
        .order_by("scope__code", "role", "username")
    )  # fmt: skip
    labels = dict(Whereabouts.choices)
    return [
        {"name": p.display_name, "role": p.get_role_display(),
         "where": p.scope.name if p.scope else "",
         "phone": p.phone, "status": p.w_status or "", "label": labels.get(p.w_status, "未登记"),
         "note": p.w_note or "", "until": p.w_until, "at": p.w_at}
        for p in people
    ]  # fmt: skip
