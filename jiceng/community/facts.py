"""Everything this app reads from or hands to the case loop, in ONE module (the cases app
is being restructured; the coordinator adapts this file at merge).

- `reply_due`: the reply deadline of a resident message, from the cases app's working-day
  calendar (`jiceng.lib.workdays` fed with the holiday table) or in natural days.
- `message_to_case`: a message that is really a case goes through the case loop's intake
  (channel "web"), with the message id as its external reference.
- `case_exists`: whether a case number names a case this user may see.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from jiceng.cases import deadlines, services
from jiceng.cases.models import Channel, RequestType

EXTERNAL_PREFIX = "community-message:"


def reply_due(start: datetime, days: int, unit: str) -> tuple[datetime, bool]:
    """(deadline, calendar_missing). `unit` "workdays": N working days of the official
    calendar (holidays and 调休), the clock starting at the next opening when a message
    comes after hours; a year without holiday data falls back to natural days and is
    flagged. "days": the same clock time N natural days later."""
    if unit == "days":
        return start + timedelta(days=days), False
    due = deadlines.compute(start, days, "workdays")
    return due.deadline, due.calendar_missing


def message_to_case(message, user, request_type: str = RequestType.COMPLAINT) -> str:
    """Take the message into the case loop as a web case; returns the case number.

    Staff call this (the case is registered at once); the resident stays the reporter by
    name and phone. Raises ValidationError from the intake on bad input.
    """
    author = message.author
    case = services.intake(
        channel=Channel.WEB,
        request_type=request_type,
        category=None,
        description=f"【村情通留言 {message.pk}】{message.body}",
        reporter_name=author.display_name,
        reporter_phone=author.phone or "",
        user=user,
        region_code=message.village_code,
        external_ref=f"{EXTERNAL_PREFIX}{message.pk}",
    )
    return case.number


def request_types() -> list[tuple[str, str]]:
    return list(RequestType.choices)


def visible_case_numbers(user, numbers: list[str]) -> set[str]:
    """The subset of `numbers` that this user may open in the case loop."""
    if not numbers:
        return set()
    return set(
        services.visible_cases(user).filter(number__in=numbers).values_list("number", flat=True)
    )


def notify(key: str, body: str, *, kind: str, user, now: datetime | None = None) -> bool:
    """Queue one in-app/SMS notification in the platform's outbox (sent later by
    `jiceng worker`, never inside this transaction); a key is never queued twice."""
    return services.notify(key, body, kind=kind, user=user, now=now) is not None
