"""The one writer of case history: every event of a case goes in through here.

Moves (one case at a time, `write`), intake (the report and register events of a new
case) and the worker (thousands of cards per batch, `write_system`) all append their
`CaseEvent` rows here, bump the case's `version` (optimistic concurrency for clients and
the command centre) and queue `case_changed` for after the commit — a receiver never hears
of a change that was rolled back. Events are append-only (CaseEvent refuses edits).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

from django.db import connection, transaction
from django.db.models import F
from django.dispatch import Signal
from django.utils import timezone

from jiceng.accounts.models import Unit
from jiceng.cases.models import Case, CaseEvent

# Sent after commit with case=…, move=…, event=…: the command centre listens to it.
case_changed = Signal()
# The worker's bulk writes (`write_system`) also send this once per batch, after commit,
# with `case_ids` (sorted, unique) and `now`; the per-event `case_changed` that follows
# carries `batch=True`, so a receiver that handles the batch skips those (the command
# centre's rollups and assessment's marks: one pass over 2,000 cases, not 2,000).
cases_changed = Signal()


def event_row(
    case: Case,
    move: str,
    user: Any,
    from_status: str,
    to_status: str,
    *,
    reason: str = "",
    data: dict[str, Any] | None = None,
    from_unit: Unit | None = None,
    now: datetime | None = None,
    public: bool = True,
    actor_label: str = "",
) -> CaseEvent:
    """The event of a move on `case` as it stands now (not yet saved)."""
    u = user if user is not None and getattr(user, "is_authenticated", False) else None
    return CaseEvent(
        case=case,
        at=now or timezone.now(),
        actor=u,
        actor_label=actor_label or (u.display_name if u else "系统"),
        move=move,
        from_status=from_status,
        to_status=to_status,
        from_unit=from_unit,
        to_unit=case.unit,
        tier=case.tier,
        reason=reason,
        public=public,
        data=dict(data or {}),
    )


def _announce(case: Case, events: Sequence[CaseEvent]) -> None:
    def send(ev: CaseEvent) -> None:
        case_changed.send(sender=Case, case=case, move=ev.move, event=ev)

    for ev in events:
        transaction.on_commit(partial(send, ev))


def write(case: Case, events: Sequence[CaseEvent], *, save: bool = True) -> None:
    """Append `events` to `case`, bump its version and save its current-state columns.

    Call inside the move's transaction with the case row locked. `save=False`: the caller
    inserted the case itself (intake) with its version already set.
    """
    if save:
        case.version += 1
        case.save()
    if len(events) == 1:
        events[0].save()
    else:
        CaseEvent.objects.bulk_create(list(events))
    _announce(case, events)


@dataclass
class SystemEvent:
    """A system event for the worker's bulk writes (no model instance per row)."""

    case_id: int
    move: str
    status: str
    unit_id: int | None
    tier: int | None
    reason: str
    data: dict[str, Any] = field(default_factory=dict)


_COLS = (
    "case_id",
    "at",
    "actor_label",
    "move",
    "from_status",
    "to_status",
    "to_unit_id",
    "tier",
    "reason",
    "public",
    "data",
)


def write_system(rows: Sequence[SystemEvent], now: datetime) -> None:
    """Append the worker's events (state unchanged, actor 系统) in multi-row INSERTs, bump
    each case's version once per event, and announce them after commit.

    The worker's pass must stay within seconds for a county's 100,000 open cases, so rows go
    in 500 at a time without model instances; receivers of `case_changed` (if any) get the
    cases read back after the commit, 500 per query.
    """
    if not rows:
        return
    table = connection.ops.quote_name(CaseEvent._meta.db_table)
    names = ", ".join(connection.ops.quote_name(c) for c in _COLS)
    one = "(" + ", ".join(["%s"] * len(_COLS)) + ")"
    at = connection.ops.adapt_datetimefield_value(now)
    with connection.cursor() as cur:
        for i in range(0, len(rows), 500):
            chunk = rows[i : i + 500]
            params: list[Any] = []
            for r in chunk:
                params += [
                    r.case_id,
                    at,
                    "系统",
                    r.move,
                    r.status,
                    r.status,
                    r.unit_id,
                    r.tier,
                    r.reason,
                    False,
                    json.dumps(r.data, ensure_ascii=False),
                ]
            cur.execute(
                f"INSERT INTO {table} ({names}) VALUES {', '.join([one] * len(chunk))}", params
            )
    per_case: dict[int, int] = {}
    for r in rows:
        per_case[r.case_id] = per_case.get(r.case_id, 0) + 1
    by_n: dict[int, list[int]] = {}
    for cid, n in per_case.items():
        by_n.setdefault(n, []).append(cid)
    for n, ids in by_n.items():
        for i in range(0, len(ids), 500):
            Case.objects.filter(pk__in=ids[i : i + 500]).update(version=F("version") + n)
    if case_changed.has_listeners(Case) or cases_changed.has_listeners(Case):
        snapshot = list(rows)
        transaction.on_commit(lambda: _announce_system(snapshot, now))


def _announce_system(rows: list[SystemEvent], now: datetime) -> None:
    ids = sorted({r.case_id for r in rows})
    cases_changed.send(sender=Case, case_ids=ids, now=now)
    if not case_changed.has_listeners(Case):
        return
    cases: dict[int, Case] = {}
    for i in range(0, len(ids), 500):
        cases.update(Case.objects.in_bulk(ids[i : i + 500]))
    for r in rows:
        case = cases.get(r.case_id)
        if case is None:
            continue
        ev = CaseEvent(
            case=case,
            at=now,
            actor_label="系统",
            move=r.move,
            from_status=r.status,
            to_status=r.status,
            to_unit_id=r.unit_id,
            tier=r.tier,
            reason=r.reason,
            public=False,
            data=r.data,
        )
        case_changed.send(sender=Case, case=case, move=r.move, event=ev, batch=True)
