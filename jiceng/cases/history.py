"""The one writer of case history: every event of a case goes in through here.

Moves (one case at a time, `write`), intake (the report and register events of a new
case) and the worker (thousands of cards per batch, `write_system`) all append their
`CaseEvent` rows here, bump the case's `version` (optimistic concurrency for clients and
the command centre) and queue `case_changed` for after the commit — one per case and
transaction, with all the events written for it, and a receiver never hears of a change
that was rolled back. Events are append-only (CaseEvent refuses edits).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any
from weakref import WeakValueDictionary

from django.db import connection, transaction
from django.db.models import F
from django.dispatch import Signal
from django.utils import timezone

from jiceng.accounts.models import Unit
from jiceng.cases.bulksql import insert_columns, pg_types
from jiceng.cases.models import Case, CaseEvent

log = logging.getLogger("jiceng.cases")

# Sent once per case and transaction, after commit, with case=… (as written last) and
# events=[…] (every CaseEvent written for it in that transaction, oldest first: an intake's
# `report` and `register`, a move and its follow-ups); `move` and `event` are the last of
# them. Never one per event. The command centre and assessment listen to it.
case_changed = Signal()
# The worker's bulk writes (`write_system`) also send this once per batch, after commit,
# with `case_ids` (sorted, unique) and `now`; the per-case `case_changed` that follows
# carries `batch=True`, so a receiver that handles the batch skips those (the command
# centre's rollups and assessment's marks: one pass over 2,000 cases, not 2,000). For the
# worker's cards (`placed` given) no per-case `case_changed` follows: reading 2,000 cases
# back as instances for receivers that all skip them was a fifth of the catch-up.
# The worker's cards also send `placed` ({case id: (unit id, tier)}): the cases of the
# batch whose unit and tier changed (a grid's red card moved up to its community); every
# other case of the batch changed only what no rollup counts (card, reminders,
# supervising tier, version), so a receiver may take the card-only path (decision 0080).
# Without `placed` (None), any counted field may have changed.
cases_changed = Signal()
# Sent by `write` inside the writer's transaction, after the events are inserted, with
# case=… : for a receiver that must write its own row in the same commit (assessment's
# mark of a moved case). Committed or rolled back with the case — never lost, and no commit
# (no fsync) of its own on the request's path (decision 0102). A receiver may only write
# rows in the database here (nothing sent, no other connection); its error is the writer's.
case_written = Signal()


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


class _Pending:
    """The events written for one case in one transaction, announced once at commit.

    Each write registers a collector with `transaction.on_commit` (Django drops the
    collectors of a savepoint that is rolled back, so a rolled-back write is never heard);
    the one sender per (transaction, case) sits at the end of the commit hooks, after every
    collector, and sends one `case_changed` with the events that were collected.
    """

    __slots__ = ("case", "events", "done", "sender", "__weakref__")

    def __init__(self, case: Case) -> None:
        self.case = case
        self.events: list[CaseEvent] = []
        self.done = False
        # one bound method, so that it can be found again in Django's list of commit hooks
        # (a savepoint rollback rebuilds the list's tuples, not their functions)
        self.sender: Callable[[], None] = self.send

    def collect(self, events: list[CaseEvent]) -> None:
        self.events.extend(events)

    def send(self) -> None:
        self.done = True
        if self.events:
            _send(self.case, self.events)


# On each database connection: case pk → its pending announcement in the open transaction.
# Weak: an entry lives only as long as Django's list of commit hooks holds its sender.
_PENDING_ATTR = "_jiceng_case_announcements"


def _send(case: Case, events: Sequence[CaseEvent], **extra: Any) -> None:
    """One `case_changed`; a receiver that fails is logged, never the writer's error (the
    write is committed: the command centre's catch-up and assessment's refresh repair)."""
    evs = list(events)
    for receiver, result in case_changed.send_robust(
        sender=Case, case=case, events=evs, move=evs[-1].move, event=evs[-1], **extra
    ):
        if isinstance(result, Exception):
            log.error(
                "case_changed receiver %r failed for case %s",
                receiver,
                case.pk,
                exc_info=(type(result), result, result.__traceback__),
            )


def _announce(case: Case, events: Sequence[CaseEvent]) -> None:
    """Queue the events of this write for the one announcement of `case` at commit."""
    events = list(events)
    if not events:
        return
    conn = transaction.get_connection()
    if not conn.in_atomic_block:  # autocommit: the write is committed already
        _send(case, events)
        return
    pending: WeakValueDictionary[int, _Pending] = conn.__dict__.setdefault(
        _PENDING_ATTR, WeakValueDictionary()
    )
    p = pending.get(case.pk)
    hooks = conn.run_on_commit
    at = None if p is None else next((i for i, h in enumerate(hooks) if h[1] is p.sender), None)
    if p is None or p.done or at is None:
        p = _Pending(case)
        pending[case.pk] = p
    else:
        del hooks[at]  # moved behind this write's collector below
    p.case = case
    transaction.on_commit(partial(p.collect, events))
    # Django keeps (savepoint ids, func, robust). No savepoint ids: the sender belongs to
    # the outermost transaction and goes only with it (a rollback clears every hook).
    conn.run_on_commit.append((set(), p.sender, False))


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
    case_written.send(sender=Case, case=case)
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


def write_system(
    rows: Sequence[SystemEvent],
    now: datetime,
    *,
    placed: dict[int, tuple[int, int]] | None = None,
    bump: bool = True,
) -> None:
    """Append the worker's events (state unchanged, actor 系统) in multi-row INSERTs, bump
    each case's version once per event, and announce them after commit.

    `placed`: for the worker's cards, {case id: (unit id, tier)} of the cases whose unit
    and tier this batch changed; passed on with `cases_changed` (see there). `bump`
    False: the caller has already added each case's number of events to its `version`
    in its own UPDATE of the case (the worker: one write of each row, not two).

    The worker's pass must stay within seconds for a county's 100,000 open cases, so rows go
    in 2,000 at a time without model instances; receivers of `case_changed` (if any) get the
    cases read back after the commit, 500 per query.
    """
    if not rows:
        return
    table = connection.ops.quote_name(CaseEvent._meta.db_table)
    names = ", ".join(connection.ops.quote_name(c) for c in _COLS)
    at = connection.ops.adapt_datetimefield_value(now)
    values = [
        (
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
        )
        for r in rows
    ]
    if connection.vendor == "postgresql":
        # one statement of eleven column arrays, however many rows (bulksql)
        insert_columns(table, names, pg_types(CaseEvent, _COLS), values)
    else:
        one = "(" + ", ".join(["%s"] * len(_COLS)) + ")"
        with connection.cursor() as cur:
            # 2,000 rows × 11 columns a statement: under SQLite's parameter limit
            for i in range(0, len(values), 2000):
                chunk = values[i : i + 2000]
                cur.execute(
                    f"INSERT INTO {table} ({names}) VALUES {', '.join([one] * len(chunk))}",
                    [v for row in chunk for v in row],
                )
    per_case: dict[int, int] = {}
    for r in rows:
        per_case[r.case_id] = per_case.get(r.case_id, 0) + 1
    by_n: dict[int, list[int]] = {}
    for cid, n in per_case.items():
        by_n.setdefault(n, []).append(cid)
    for n, ids in by_n.items() if bump else ():
        for i in range(0, len(ids), 500):
            Case.objects.filter(pk__in=ids[i : i + 500]).update(version=F("version") + n)
    if case_changed.has_listeners(Case) or cases_changed.has_listeners(Case):
        snapshot = list(rows)
        where = None if placed is None else dict(placed)
        transaction.on_commit(lambda: _announce_system(snapshot, now, where))


def _announce_system(
    rows: list[SystemEvent], now: datetime, placed: dict[int, tuple[int, int]] | None = None
) -> None:
    ids = sorted({r.case_id for r in rows})
    extra: dict[str, Any] = {} if placed is None else {"placed": placed}
    cases_changed.send(sender=Case, case_ids=ids, now=now, **extra)
    if placed is not None or not case_changed.has_listeners(Case):
        return
    cases: dict[int, Case] = {}
    for i in range(0, len(ids), 500):
        cases.update(Case.objects.in_bulk(ids[i : i + 500]))
    per_case: dict[int, list[CaseEvent]] = {}
    for r in rows:
        case = cases.get(r.case_id)
        if case is None:
            continue
        per_case.setdefault(r.case_id, []).append(
            CaseEvent(
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
        )
    for cid, evs in per_case.items():
        _send(cases[cid], evs, batch=True)
