"""Rollups kept up to date by the moves: counts by region prefix, unit, tier, status, day.

How (numbered, because order matters for correctness under concurrency):
  1. `case_changed` (sent after commit) → `apply_cases([case.id])`; the worker's cards
     and escalations send no signal, so `catch_up()` also reads the case history
     (CaseEvent ids after a watermark, minus a lookback) and applies the cases it names.
  2. `apply_cases` locks the cases' Tally rows (`SELECT … FOR UPDATE`) *before* reading the
     cases, so two processes applying the same case serialise and the later one reads the
     later state (READ COMMITTED sees what committed before its statement).
  3. The difference between the old contribution (Tally) and the new one is added to
     StatusCount / DayCount with one upsert per key (`INSERT … ON CONFLICT DO UPDATE SET
     n = n + delta`), keys sorted so two transactions never wait on each other in a cycle.
  4. Applying a case twice changes nothing (the difference is zero): the catch-up may
     reread history freely, and `reconcile()` rebuilds everything from the cases.

Counting rules (same as facts.full_counts, checked in the tests):
  - by status: every case, keyed by its current region/unit/tier/status (under grid
    prefixes only open cases: the load map's colours);
  - new per day: by created_at's local day, per channel and per category (prefixes down
    to the village only);
  - closed per day: cases in closed/archived with closed_at, by closed_at's day and the
    tier that closed them (a reopened case leaves the count).
"""

from __future__ import annotations

import functools
import logging
from collections import Counter
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from jiceng.command import facts, live
from jiceng.command.facts import CaseFacts
from jiceng.command.models import DayCount, LiveEvent, StatusCount, SyncMark, Tally

log = logging.getLogger("jiceng.command")

# Re-read this many history rows before the watermark: on PostgreSQL ids from a sequence
# can commit out of order, so a row below the watermark may appear after it was passed.
LOOKBACK = 500
# A case taken in longer ago than this is not announced as new (demo, imports, rebuild).
ANNOUNCE_WITHIN = timedelta(minutes=10)
MARK = "case_events"
# Day counts are kept for scopes down to the village (12 digits): walls are for streets and
# districts, and per grid × day × category they would be about one row per case.
DAY_PREFIX_MAX = 12


@functools.lru_cache(maxsize=200_000)
def prefixes(code: str) -> tuple[str, ...]:
    """Every scope a user can have that contains `code`: "", 2, 4, 6, 9, 12 digits, then
    each grid level (3 digits more). '610921001001001' → ['', '61', '6109', '610921',
    '610921001', '610921001001', '610921001001001']."""
    out = [""]
    for n in (2, 4, 6, 9, 12):
        if len(code) >= n:
            out.append(code[:n])
    out.extend(code[:n] for n in range(15, len(code) + 1, 3))
    if code and code not in out:
        out.append(code)
    return tuple(out)


def contribution(f: CaseFacts | None) -> tuple[Counter, Counter]:
    """The keys one case adds to StatusCount and DayCount (each +1)."""
    st: Counter = Counter()
    dy: Counter = Counter()
    if f is not None:
        add(st, dy, f, 1)
    return st, dy


def add(st: dict, dy: dict, f: CaseFacts, sign: int) -> None:
    """Add (sign=1) or remove (sign=-1) one case's keys in place (no per-case objects:
    the rebuild runs this a million times)."""
    unit, tier, status = f["unit_id"], f["tier"], f["status"]
    created, channel, cat = f["created_day"], f["channel"], str(f["category_id"])
    closed, closed_tier = f["closed_day"], str(f["closed_tier"])
    is_open = f["is_open"]
    for p in prefixes(f["region_code"]):
        if len(p) > DAY_PREFIX_MAX:
            # grids: only open cases are counted (the load map); closed ones and per-day
            # figures stop at the village, or a grid's rows would be about one per case
            if is_open:
                k: tuple = (p, unit, tier, status)
                st[k] = st.get(k, 0) + sign
            continue
        k = (p, unit, tier, status)
        st[k] = st.get(k, 0) + sign
        k = (p, created, DayCount.CHANNEL, channel)
        dy[k] = dy.get(k, 0) + sign
        k = (p, created, DayCount.CATEGORY, cat)
        dy[k] = dy.get(k, 0) + sign
        if closed is not None:
            k = (p, closed, DayCount.CLOSED_TIER, closed_tier)
            dy[k] = dy.get(k, 0) + sign


def _tally_facts(t: Tally) -> CaseFacts:
    return CaseFacts(
        case_id=t.case_id,
        number=t.number,
        title=t.title,
        region_code=t.region_code,
        unit_id=t.unit_id,
        tier=t.tier,
        status=t.status,
        channel=t.channel,
        category_id=t.category_id,
        urgency=t.urgency,
        created_at=t.created_at,
        created_day=t.created_day,
        closed_day=t.closed_day,
        closed_tier=t.closed_tier,
        is_open=t.is_open,
        watched=t.watched,
        deadline=t.deadline,
        yellow_at=t.yellow_at,
    )


def _tally(f: CaseFacts) -> Tally:
    return Tally(**{k: v for k, v in f.items()})


def _upsert(model, cols: tuple[str, ...], deltas: dict[tuple, int]) -> None:
    """n = n + delta for each key, inserting missing keys (PostgreSQL and SQLite ≥ 3.24)."""
    rows = sorted(((k, d) for k, d in deltas.items() if d), key=lambda kd: tuple(map(str, kd[0])))
    if not rows:
        return
    table = connection.ops.quote_name(model._meta.db_table)
    qcols = ", ".join(connection.ops.quote_name(c) for c in cols)
    conflict = qcols
    with connection.cursor() as cur:
        for i in range(0, len(rows), 300):
            chunk = rows[i : i + 300]
            values = ", ".join(["(" + ", ".join(["%s"] * (len(cols) + 1)) + ")"] * len(chunk))
            params: list[Any] = []
            for key, d in chunk:
                params.extend(key)
                params.append(d)
            cur.execute(
                f"INSERT INTO {table} ({qcols}, n) VALUES {values} "
                f"ON CONFLICT ({conflict}) DO UPDATE SET n = {table}.n + excluded.n",
                params,
            )


STATUS_COLS = ("region_code", "unit_id", "tier", "status")
DAY_COLS = ("region_code", "day", "kind", "key")


def apply_cases(ids: Iterable[int], *, announce: bool = True, now: datetime | None = None) -> int:
    """Bring the rollups in line with these cases' current state. Returns how many cases
    changed their contribution. Announces new cases, alarms and state changes to the walls
    (LiveEvent + pub/sub after commit) unless `announce` is False."""
    ids = sorted(set(ids))
    if not ids:
        return 0
    for attempt in range(3):
        try:
            return _apply(ids, announce, now or timezone.now())
        except IntegrityError:
            # two processes inserted the first Tally of the same new case: the retry
            # finds the row and applies the difference against it
            if attempt == 2:
                raise
    return 0


def _apply(ids: list[int], announce: bool, now: datetime) -> int:
    changed = 0
    with transaction.atomic():
        old = {t.case_id: t for t in Tally.objects.select_for_update().filter(case_id__in=ids)}
        new = facts.case_facts(ids)
        st: dict[tuple, int] = {}
        dy: dict[tuple, int] = {}
        events: list[LiveEvent] = []
        for cid in ids:
            before = _tally_facts(old[cid]) if cid in old else None
            after = new.get(cid)
            if before == after:
                continue
            changed += 1
            if before is not None:
                add(st, dy, before, -1)
            if after is not None:
                add(st, dy, after, 1)
            if after is None:
                Tally.objects.filter(case_id=cid).delete()
            elif before is None:
                _tally(after).save(force_insert=True)
            else:
                _tally(after).save(force_update=True)
            if announce and after is not None:
                events.extend(_announce(before, after, now))
        _upsert(StatusCount, STATUS_COLS, st)
        _upsert(DayCount, DAY_COLS, dy)
        if events:
            LiveEvent.objects.bulk_create(events)
            live.publish_in_transaction([e.pk for e in events if e.pk])
    return changed


def _announce(before: CaseFacts | None, after: CaseFacts, now: datetime) -> list[LiveEvent]:
    data = {
        "case_id": after["case_id"],
        "number": after["number"],
        "title": after["title"],
        "channel": after["channel"],
        "channel_label": facts.CHANNEL_LABELS.get(after["channel"], after["channel"]),
        "status": after["status"],
        "status_label": facts.STATUS_LABELS.get(after["status"], after["status"]),
        "urgency": after["urgency"],
        "created_at": after["created_at"].isoformat(),
    }
    if before is None and now - after["created_at"] <= ANNOUNCE_WITHIN:
        kind = LiveEvent.ALARM if after["channel"] == facts.ALARM else LiveEvent.NEW
    else:
        kind = LiveEvent.MOVE
    return [LiveEvent(at=now, kind=kind, region_code=after["region_code"], data=data)]


def on_case_changed(sender=None, case=None, events=(), **_kw) -> None:
    """Receiver of `jiceng.cases.services.case_changed` (after commit, once per case and
    transaction with all its `events`): one apply of the case's current state. A failure
    here must never reach the user who made the move: the catch-up repairs it later."""
    if case is None or case.pk is None or _kw.get("batch"):
        return  # a worker batch: `on_cases_changed` applied it whole
    try:
        apply_cases([case.pk])
    except Exception:  # noqa: BLE001 — the move is committed; the catch-up repairs
        log.exception("command rollup failed for case %s", case.pk)


def on_cases_changed(sender=None, case_ids=(), **_kw) -> None:
    """Receiver of `cases_changed` (a worker batch, after commit): one pass for all."""
    try:
        apply_cases(case_ids)
    except Exception:  # noqa: BLE001 — committed already; the catch-up repairs
        log.exception("command rollup failed for a batch of %s cases", len(case_ids))


def catch_up(limit: int = 5000) -> int:
    """Apply every case named in the history since the watermark (minus LOOKBACK).
    Safe to run in several processes at once (the mark row is locked). Returns cases
    changed."""
    with transaction.atomic():
        mark, _ = SyncMark.objects.select_for_update().get_or_create(name=MARK)
        start = max(0, mark.value - LOOKBACK)
        ids, last = facts.cases_with_events_after(start, limit)
        changed = apply_cases(ids) if ids else 0
        if last > mark.value:
            mark.value = last
            mark.save(update_fields=["value"])
    return changed


def reconcile() -> dict[str, int]:
    """Rebuild every rollup from the cases (in one transaction) and move the watermark to
    the end of the history. Returns {'cases': n, 'status_rows': n, 'day_rows': n}."""
    with transaction.atomic():
        mark, _ = SyncMark.objects.select_for_update().get_or_create(name=MARK)
        last = facts.last_event_id()
        Tally.objects.all().delete()
        StatusCount.objects.all().delete()
        DayCount.objects.all().delete()
        st: dict[tuple, int] = {}
        dy: dict[tuple, int] = {}
        n = 0
        for batch in facts.all_case_facts():
            Tally.objects.bulk_create([_tally(f) for f in batch], batch_size=1000)
            for f in batch:
                add(st, dy, f, 1)
            n += len(batch)
        StatusCount.objects.bulk_create(
            [StatusCount(**dict(zip(STATUS_COLS, k, strict=True)), n=v) for k, v in st.items()],
            batch_size=2000,
        )
        DayCount.objects.bulk_create(
            [DayCount(**dict(zip(DAY_COLS, k, strict=True)), n=v) for k, v in dy.items()],
            batch_size=2000,
        )
        mark.value = max(mark.value, last)
        mark.save(update_fields=["value"])
    return {"cases": n, "status_rows": len(st), "day_rows": len(dy)}
