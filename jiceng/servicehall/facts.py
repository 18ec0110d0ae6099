"""The one module of servicehall that reads the cases app: its working-day calendar.

Applications use the same calendar as cases (holidays and 调休 kept by an administrator in
the cases app). Kept in one place so the cases restructuring touches one import.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from jiceng.lib.workdays import Calendar


def calendar() -> Calendar:
    """The county's working-day calendar (cached for a minute by the cases app)."""
    from jiceng.cases import deadlines

    return deadlines.calendar()


def zone() -> ZoneInfo:
    from jiceng.cases import deadlines

    return deadlines.tz()


def yellow_share() -> float:
    """Share of the promised limit used when the yellow card shows (same as cases)."""
    from jiceng.cases import deadlines

    return deadlines.YELLOW_SHARE


def notify(
    key: str, body: str, *, kind: str, phone: str = "", user=None, now: datetime | None = None
) -> bool:
    """Queue one notification in the platform's outbox (sent later by `jiceng worker`,
    never inside this transaction); the same key is never queued twice. True if queued.
    `now` is when it is due: the pass's time, so the pass that queues it also sends it."""
    from jiceng.cases import services

    return services.notify(key, body, kind=kind, phone=phone, user=user, now=now) is not None
