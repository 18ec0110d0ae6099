"""Notifications: queued in the Outbox inside the move's transaction, sent by
`outbox.py` after commit (never while a transaction is open).

Each notification has a dedupe key naming the fact it tells (`remind:<number>:<n>`), so
the same fact is never queued twice and the gateway can drop a repeat of the one message
that was in flight when a worker died.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from jiceng.accounts.models import Unit
from jiceng.cases import deadlines, outbox
from jiceng.cases.models import Case, Outbox


def notify(
    key: str,
    body: str,
    *,
    kind: str,
    unit: Unit | None = None,
    phone: str = "",
    user: Any = None,
    case: Case | None = None,
    now: datetime | None = None,
) -> Outbox | None:
    """Queue one notification (SMS when there is a phone, else in-app); None when a
    notification with the same key was queued before."""
    phone = (
        phone
        or (unit.phone if unit is not None else "")
        or (getattr(user, "phone", "") if user is not None else "")
    )
    now = now or timezone.now()
    try:
        with transaction.atomic():
            return Outbox.objects.create(
                kind=kind,
                channel="sms" if phone else "inapp",
                to_phone=phone,
                to_unit=unit,
                to_user=user,
                body=body,
                case=case,
                dedupe_key=key[:120],
                next_attempt_at=now,
            )
    except IntegrityError:
        return None


def send_after_commit(ids: list[int]) -> None:
    """Send these rows as soon as the transaction commits (the one-key alarm does not wait
    for the worker's next pass); nothing is sent if it rolls back."""
    if not ids:
        return
    transaction.on_commit(lambda: outbox.deliver_ids(ids))


def when(dt: datetime | None) -> str:
    """A deadline as the messages write it: 11月29日 17:30 (Asia/Shanghai), or —."""
    if dt is None:
        return "—"
    return f"{dt.astimezone(deadlines.tz()):%m月%d日 %H:%M}"
