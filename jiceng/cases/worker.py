"""One pass of the background worker (`jiceng worker`).

A pass:
  1. red cards: watched cases past their deadline → card red, 督办 to the supervisor's
     tier (one tier up), notify the supervisor and the handling unit;
  2. yellow cards: watched cases past their yellow time → card yellow, 催办 to the unit;
  3. whistle calls past their limit without a report-in → remind the department;
  4. closed cases whose return visit is due → a task notice to the owning centre;
  5. cases flagged `calendar_missing` whose year is now known → deadline recomputed;
  6. household visits that asked for a case and have none (the hand-over failed) → taken in;
  7. the outbox: due notifications sent through the gateway.

Each batch is one transaction: the card, its event and its notifications commit
together or not at all, so a worker killed mid-pass loses nothing (the next pass redoes
the batch). Rows are claimed with `SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL (SQLite
serialises writers with IMMEDIATE transactions); the update is compare-and-set on the
old card and every notification has a unique dedupe key, so several workers never
record or send anything twice. A batch that fails is retried row by row; a row that
fails is recorded in WorkerError and skipped for HOLD, never a crash loop.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import F, Model, QuerySet, Value
from django.db.models.functions import Least
from django.dispatch import Signal
from django.utils import timezone

from jiceng.accounts import centres
from jiceng.accounts.models import Unit
from jiceng.cases import deadlines, history, outbox
from jiceng.cases.bulksql import insert_columns, pg_types
from jiceng.cases.history import SystemEvent
from jiceng.cases.intake import TIER_UNIT_KIND, limit_for
from jiceng.cases.models import (
    Case,
    Outbox,
    Tier,
    WhistleCall,
    WorkerError,
)
from jiceng.cases.notifications import when
from jiceng.cases.workflow import WATCHED_STATES

log = logging.getLogger("jiceng.worker")
BATCH = 2000
INSERT_ROWS = 2000

# Sent once per pass, after the cases' own steps and before the outbox is delivered, so what
# another app queues (the service hall's cards, say) leaves in the same pass. Receivers take
# `now` (aware datetime) and return a dict of counts; one that raises is recorded as a
# WorkerError and the pass goes on. Other apps connect in their AppConfig.ready: the worker
# stays one process for the county, and cases imports none of them.
worker_pass = Signal()
HOLD = timedelta(minutes=10)
# Test hook: called inside each batch's transaction after the writes (simulate a kill).
_after_batch_writes: Callable[[str, list[int]], None] | None = None

_FIELDS = (
    "status",
    "id",
    "number",
    "title",
    "tier",
    "region_code",
    "unit_id",
    "owner_unit_id",
    "deadline",
    "card",
)


class Units:
    """Units loaded once per pass (no query per case): by id, and the territorial centres
    (accounts.centres) by code."""

    def __init__(self) -> None:
        self.by_id: dict[int, Unit] = {u.pk: u for u in Unit.objects.filter(active=True)}
        self.centre: dict[str, Unit] = centres.centres()

    def at(self, tier: int, region_code: str) -> Unit | None:
        kind = TIER_UNIT_KIND.get(Tier(tier))
        if kind is None or len(region_code) < centres.CODE_LENGTH[kind]:
            return None
        u = self.centre.get(region_code[: centres.CODE_LENGTH[kind]])
        return u if u is not None and u.kind == kind else None


def _claim(qs: QuerySet[Case], batch: int) -> list[dict[str, Any]]:
    if connection.vendor == "postgresql":
        qs = qs.select_for_update(skip_locked=True, of=("self",))
    else:
        qs = qs.select_for_update()
    return list(qs.values(*_FIELDS)[:batch])


def _held(kind: str, now: datetime) -> list[int]:
    return [
        int(x)
        for x in WorkerError.objects.filter(kind=kind, at__gte=now - HOLD).values_list(
            "object_id", flat=True
        )
    ]


def _card_rows(kind: str, rows: list[dict], units: Units, now: datetime) -> int:
    """Write the cards, events and notifications of claimed rows (inside a transaction).

    Events and notifications go in with one multi-row INSERT each (no model instances):
    the pass must stay within seconds for a county's 100,000 open cases.
    """
    ids = [r["id"] for r in rows]
    events: list[SystemEvent] = []
    notes: list[tuple] = []
    # the cases whose unit and tier moved (escalated); every other card changes nothing a
    # rollup counts, and the rollups are told so (`placed`, the card-only path, 0080)
    placed: dict[int, tuple[int, int]] = {}
    # Each case is written by ONE UPDATE (card, supervising tier or reminder count, the
    # escalation if any, and the version the events bump): the card columns are indexed,
    # so every UPDATE of a row writes a new version of it into each of the table's
    # indexes — three UPDATEs per card (card, supervision, version) were most of the
    # pass. SQL reads `tier` as it was before the statement (supervision one tier up
    # from the tier the case had when it went red).
    if kind == "red":
        by_comm: dict[int, list[dict]] = {}
        for r in rows:
            comm = units.at(Tier.COMMUNITY, r["region_code"]) if r["tier"] == Tier.GRID else None
            if comm is not None:
                by_comm.setdefault(comm.pk, []).append(r)
        moving = {r["id"] for rs in by_comm.values() for r in rs}
        card = {
            "card": "red",
            "supervised_tier": Least(F("tier") + 1, Value(int(Tier.DISTRICT))),
        }
        # compare-and-set: only rows whose card is still not red
        n = (
            Case.objects.filter(pk__in=[i for i in ids if i not in moving])
            .exclude(card="red")
            .update(**card, version=F("version") + 1)
        )
        # what the grid could not fix in time moves up to its community: on PostgreSQL one
        # UPDATE … FROM unnest(case ids, communities); elsewhere one UPDATE per community
        if by_comm and connection.vendor == "postgresql":
            n += _escalate_pg(by_comm)
            by_comm_loop: dict[int, list[dict]] = {}
        else:
            by_comm_loop = by_comm
        for comm_id, rs in by_comm_loop.items():
            n += (
                Case.objects.filter(pk__in=[r["id"] for r in rs], tier=Tier.GRID)
                .exclude(card="red")
                .update(
                    **card,
                    tier=Tier.COMMUNITY,
                    owner_unit_id=comm_id,
                    unit_id=comm_id,
                    escalate_count=F("escalate_count") + 1,
                    version=F("version") + 2,  # two events: the card and the escalation
                )
            )
        for r in rows:
            sup_tier = min(r["tier"] + 1, Tier.DISTRICT)
            sup = units.at(sup_tier, r["region_code"])
            data = {"card": "red", "level": sup_tier, "deadline": _iso(r["deadline"])}
            events.append(_event_row(r, now, "supervise", "超过办结期限，亮红牌并提级督办", data))
            body = (
                f"【红牌督办】{r['number']} {r['title'][:30]} 已超期（期限 {when(r['deadline'])}）"
            )
            for u in (sup, units.by_id.get(r["unit_id"] or 0)):
                if u is not None:
                    key = f"red:{r['number']}:{_iso(r['deadline'])}:{u.code}"
                    notes.append(_note_row(key, body, "supervise", u, r["id"], now))
        for comm_id, rs in by_comm.items():
            for r in rs:
                placed[r["id"]] = (comm_id, int(Tier.COMMUNITY))
                events.append(
                    _event_row(
                        {**r, "unit_id": comm_id},
                        now,
                        "escalate",
                        "网格未能按期办结，自动上报社区",
                        {"from_level": Tier.GRID, "to_level": Tier.COMMUNITY},
                    )
                )
    else:
        n = Case.objects.filter(pk__in=ids, card="").update(
            card="yellow", remind_count=F("remind_count") + 1, version=F("version") + 1
        )
        for r in rows:
            data = {"card": "yellow", "deadline": _iso(r["deadline"])}
            events.append(_event_row(r, now, "remind", "办理时间已过预警线，亮黄牌催办", data))
            u = units.by_id.get(r["unit_id"] or 0)
            if u is not None:
                body = (
                    f"【黄牌催办】{r['number']} {r['title'][:30]} "
                    f"将于 {when(r['deadline'])} 到期，请抓紧办理"
                )
                key = f"yellow:{r['number']}:{_iso(r['deadline'])}"
                notes.append(_note_row(key, body, "remind", u, r["id"], now))
    history.write_system(events, now, placed=placed, bump=False)
    _insert(Outbox, NOTE_COLS, notes, ignore_conflicts=True)
    if _after_batch_writes is not None:
        _after_batch_writes(kind, ids)
    return n


def _escalate_pg(by_comm: dict[int, list[dict]]) -> int:
    """The red card of grid cases and their move up to their community, one statement:
    the same columns as the per-community UPDATE (compare-and-set on tier and card)."""
    ids = [r["id"] for rs in by_comm.values() for r in rs]
    comms = [c for c, rs in by_comm.items() for _ in rs]
    table = connection.ops.quote_name(Case._meta.db_table)
    with connection.cursor() as cur:
        cur.execute(
            f"UPDATE {table} AS c SET card = 'red', "
            "supervised_tier = LEAST(c.tier + 1, %s), tier = %s, "
            "owner_unit_id = m.unit, unit_id = m.unit, "
            "escalate_count = c.escalate_count + 1, "
            "version = c.version + 2 "  # two events: the card and the escalation
            "FROM unnest(%s::bigint[], %s::bigint[]) AS m(id, unit) "
            "WHERE c.id = m.id AND c.tier = %s AND c.card <> 'red'",
            [int(Tier.DISTRICT), int(Tier.COMMUNITY), ids, comms, int(Tier.GRID)],
        )
        return cur.rowcount


NOTE_COLS = (
    "created_at",
    "kind",
    "channel",
    "to_phone",
    "to_unit_id",
    "body",
    "case_id",
    "dedupe_key",
    "state",
    "attempts",
    "next_attempt_at",
    "last_error",
)


def _dt(value: datetime) -> Any:
    return connection.ops.adapt_datetimefield_value(value)


def _event_row(
    r: dict[str, Any], now: datetime, move: str, reason: str, data: dict[str, Any]
) -> SystemEvent:
    return SystemEvent(
        case_id=r["id"],
        move=move,
        status=r["status"],
        unit_id=r["unit_id"],
        tier=r["tier"],
        reason=reason,
        data=data,
    )


def _note_row(
    key: str, body: str, kind: str, unit: Unit, case_id: int, now: datetime
) -> tuple[Any, ...]:
    return (
        _dt(now),
        kind,
        "sms" if unit.phone else "inapp",
        unit.phone,
        unit.pk,
        body,
        case_id,
        key[:120],
        Outbox.PENDING,
        0,
        _dt(now),
        "",
    )


def _insert(
    model: type[Model],
    cols: tuple[str, ...],
    rows: list[tuple[Any, ...]],
    ignore_conflicts: bool = False,
) -> None:
    """One multi-row INSERT per batch (up to 2,000 rows: 24,000 parameters, under both
    PostgreSQL's 65,535 and SQLite's 32,766); duplicates of a unique key skipped if asked."""
    if not rows:
        return
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(c) for c in cols)
    if connection.vendor == "postgresql":
        insert_columns(table, names, pg_types(model, cols), rows, ignore_conflicts)
        return
    one = "(" + ", ".join(["%s"] * len(cols)) + ")"
    verb, tail = "INSERT", ""
    if ignore_conflicts:
        if connection.vendor == "sqlite":
            verb = "INSERT OR IGNORE"
        else:
            tail = " ON CONFLICT DO NOTHING"
    with connection.cursor() as cur:
        for i in range(0, len(rows), INSERT_ROWS):
            chunk = rows[i : i + INSERT_ROWS]
            sql = f"{verb} INTO {table} ({names}) VALUES {', '.join([one] * len(chunk))}{tail}"
            cur.execute(sql, [v for row in chunk for v in row])


def _iso(dt: datetime | None) -> str:
    return dt.isoformat() if dt else ""


def _note(key: str, body: str, kind: str, unit: Unit, case_id: int, now: datetime) -> Outbox:
    return Outbox(
        kind=kind,
        channel="sms" if unit.phone else "inapp",
        to_phone=unit.phone,
        to_unit=unit,
        body=body,
        case_id=case_id,
        dedupe_key=key[:120],
        next_attempt_at=now,
    )


def _due(kind: str, now: datetime) -> QuerySet[Case]:
    """Watched cases due for a card of this kind at `now`, oldest first."""
    base = Case.objects.filter(status__in=WATCHED_STATES)
    if kind == "red":
        return base.filter(card__in=["", "yellow"], deadline__lte=now).order_by("deadline")
    return base.filter(card="", yellow_at__lte=now, deadline__gt=now).order_by("yellow_at")


def _cards(kind: str, now: datetime, units: Units, batch: int, stats: dict) -> None:
    held = set(_held(f"card_{kind}", now))
    due = _due(kind, now)
    # The due ids are read once (ids only: 85,000 ints), then claimed a batch at a time
    # by id with the due condition again (compare-and-set; SKIP LOCKED leaves another
    # worker's rows to it). At a million cases the due query scans the status index and
    # sorts every due case — 1.3 s; once per pass, not once per batch of 2,000.
    ids = [pk for pk in due.values_list("pk", flat=True) if pk not in held]
    for i in range(0, len(ids), batch):
        rows: list[dict] = []
        try:
            with transaction.atomic():
                rows = _claim(due.filter(pk__in=ids[i : i + batch]), batch)
                if not rows:
                    continue
                stats[kind] += _card_rows(kind, rows, units, now)
        except Exception:
            if not rows:
                raise
            log.exception("batch of %s cards failed; retrying row by row", kind)
            for r in rows:
                try:
                    with transaction.atomic():
                        got = _claim(Case.objects.filter(pk=r["id"]), 1)
                        if got:
                            stats[kind] += _card_rows(kind, got, units, now)
                except Exception as exc:  # push the bad row forward, keep going
                    WorkerError.objects.create(
                        kind=f"card_{kind}", object_id=str(r["id"]), error=repr(exc)[:2000]
                    )
                    stats["errors"] += 1


def _whistle_reminders(now: datetime, stats: dict) -> None:
    with transaction.atomic():
        qs = WhistleCall.objects.filter(reported_at=None, reminded=False, due_at__lte=now)
        if connection.vendor == "postgresql":
            qs = qs.select_for_update(skip_locked=True, of=("self",))
        calls = list(qs.select_related("unit", "whistle__case")[:BATCH])
        notes = [
            _note(
                f"whistle-late:{c.pk}",
                f"【报到超时】{c.whistle.case.number} 请{c.unit.name}尽快到场报到",
                "whistle",
                c.unit,
                c.whistle.case_id,
                now,
            )
            for c in calls
        ]
        Outbox.objects.bulk_create(notes, ignore_conflicts=True)
        WhistleCall.objects.filter(pk__in=[c.pk for c in calls], reminded=False).update(
            reminded=True
        )
        stats["whistle"] += len(calls)


def _visit_tasks(now: datetime, units: Units, stats: dict) -> None:
    with transaction.atomic():
        qs = Case.objects.filter(visit_due_at__lte=now, rated_at=None)
        rows = _claim(qs.order_by("visit_due_at"), BATCH)
        notes = []
        for r in rows:
            u = units.by_id.get(r["owner_unit_id"] or 0)
            if u is not None:
                notes.append(
                    _note(
                        f"return_visit:{r['number']}",
                        f"【待回访】{r['number']} {r['title'][:30]} 已结案，请回访",
                        "return_visit",
                        u,
                        r["id"],
                        now,
                    )
                )
        Outbox.objects.bulk_create(notes, ignore_conflicts=True)
        Case.objects.filter(pk__in=[r["id"] for r in rows]).update(visit_due_at=None)
        stats["visits"] += len(rows)


def _recompute_missing(now: datetime, stats: dict) -> None:
    cal = deadlines.calendar()
    with transaction.atomic():
        rows = list(
            Case.objects.select_for_update().filter(
                calendar_missing=True, status__in=WATCHED_STATES
            )[:BATCH]
        )
        for c in rows:
            if c.created_at.year not in cal.known_years:
                continue
            amount, unit = limit_for(c.category, c.urgency)
            due = deadlines.compute(c.created_at, amount, unit, cal)
            if due.calendar_missing:
                continue
            Case.objects.filter(pk=c.pk, calendar_missing=True).update(
                deadline=due.deadline, yellow_at=due.yellow_at, calendar_missing=False
            )
            stats["recomputed"] += 1


def _visit_cases(now: datetime, stats: dict) -> None:
    from jiceng.cases.visit_handover import take_in_waiting

    stats["visit_cases"] += take_in_waiting(now)


def run_pass(now: datetime | None = None, batch: int = BATCH, send: bool = True) -> dict:
    """One pass; returns counts and the time it took."""
    t0 = time.perf_counter()
    now = now or timezone.now()
    stats: dict[str, Any] = dict(
        red=0,
        yellow=0,
        whistle=0,
        visits=0,
        recomputed=0,
        visit_cases=0,
        sent=0,
        failed=0,
        errors=0,
    )
    units = Units()
    _cards("red", now, units, batch, stats)
    t1 = time.perf_counter()
    _cards("yellow", now, units, batch, stats)
    t2 = time.perf_counter()
    stats["red_seconds"], stats["yellow_seconds"] = round(t1 - t0, 3), round(t2 - t1, 3)
    for step in (
        lambda: _whistle_reminders(now, stats),
        lambda: _visit_tasks(now, units, stats),
        lambda: _recompute_missing(now, stats),
        lambda: _visit_cases(now, stats),
    ):
        try:
            step()
        except Exception as exc:
            log.exception("worker step failed")
            WorkerError.objects.create(kind="step", object_id="-", error=repr(exc)[:2000])
            stats["errors"] += 1
    for receiver, result in worker_pass.send_robust(sender=None, now=now):
        name = getattr(receiver, "__module__", "plugin")
        if isinstance(result, Exception):
            log.error("worker plug-in %s failed: %r", name, result)
            WorkerError.objects.create(
                kind="plugin", object_id=name[:40], error=repr(result)[:2000]
            )
            stats["errors"] += 1
        elif isinstance(result, dict):
            stats.setdefault("plugins", {})[name] = result
    if send:
        t3 = time.perf_counter()
        stats["sent"], stats["failed"] = outbox.deliver_due(now=now)
        stats["send_seconds"] = round(time.perf_counter() - t3, 3)
    stats["seconds"] = round(time.perf_counter() - t0, 3)
    return stats
