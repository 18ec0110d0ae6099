"""Rollups kept up to date by the moves: counts by region prefix, unit, tier, status, day.

How (numbered, because order matters for correctness under concurrency):
  1. `case_changed` (sent after commit) → the case is queued (`rollup_queue`) and applied
     with the others of its ~0.1 s by a background thread, `apply_cases(ids)` once for the
     batch (decision 0075); the worker's batches → `apply_cases(ids)`; the worker's cards
     and escalations send no signal, and a queued case is lost if its process dies, so
     `catch_up()` also reads the case history (CaseEvent ids after a watermark, minus a
     lookback) and applies the cases it names.
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
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from jiceng.command import facts, live
from jiceng.command.facts import CaseFacts
from jiceng.command.models import DayCount, LateCount, LiveEvent, StatusCount, SyncMark, Tally

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


def hour_of(at: datetime) -> datetime:
    """The start of the UTC hour an instant falls in (the late mark moves by hours)."""
    return at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def add_late(lt: dict, f: CaseFacts, sign: int, mark: datetime | None) -> None:
    """Add or remove one watched case's LateCount keys: its yellow line and its deadline
    if they are before the late mark, under every prefix down to the village (a grid's
    wall counts its few Tally rows directly)."""
    yellow, deadline = f["yellow_at"], f["deadline"]
    if mark is None or yellow is None or deadline is None or yellow >= mark:
        return  # the deadline is never before the yellow line
    unit, tier, red = f["unit_id"], f["tier"], deadline < mark
    for p in prefixes(f["region_code"]):
        if len(p) > DAY_PREFIX_MAX:
            break
        k: tuple = (p, LateCount.YELLOW, unit, tier)
        lt[k] = lt.get(k, 0) + sign
        if red:
            k = (p, LateCount.DEADLINE, unit, tier)
            lt[k] = lt.get(k, 0) + sign


LATE_MARK = "late_before"


def _mark_time(value: int) -> datetime | None:
    return datetime.fromtimestamp(value, UTC) if value > 0 else None


def late_mark(*, share: bool = False) -> datetime | None:
    """The late mark (None before the first rebuild). `share`: lock it against a
    concurrent advance until the transaction ends (PostgreSQL FOR SHARE)."""
    table = connection.ops.quote_name(SyncMark._meta.db_table)
    lock = " FOR SHARE" if share and connection.vendor == "postgresql" else ""
    with connection.cursor() as cur:
        cur.execute(f"SELECT value FROM {table} WHERE name = %s{lock}", [LATE_MARK])
        row = cur.fetchone()
    return _mark_time(int(row[0])) if row else None


def advance_late(now: datetime | None = None) -> int:
    """Move the late mark to the start of the current hour: the watched cases whose
    yellow line or deadline fell in between join LateCount. Returns the cases moved.
    Run by the catch-up (every few seconds in each server; it does work once an hour).
    After a long pause it goes LATE_STEP at a time, each step its own short transaction:
    the moves waiting on the mark are held up for one step, not for the whole gap."""
    target = hour_of(now or timezone.now())
    current = late_mark()
    if current is not None and current >= target:
        return 0  # the usual case: no lock taken, moves are not held up
    moved = 0
    while True:
        n, done = _advance_step(target)
        moved += n
        if done:
            return moved


LATE_STEP = timedelta(hours=6)


def _advance_step(target: datetime) -> tuple[int, bool]:
    with transaction.atomic():
        mark, _ = SyncMark.objects.select_for_update().get_or_create(name=LATE_MARK)
        old = _mark_time(mark.value)
        if old is None:
            return rebuild_late(target), True
        if old >= target:
            return 0, True
        target, done = min(target, old + LATE_STEP), old + LATE_STEP >= target
        rows = (
            Tally.objects.filter(yellow_at__isnull=False, deadline__isnull=False)
            .filter(
                Q(yellow_at__gte=old, yellow_at__lt=target)
                | Q(deadline__gte=old, deadline__lt=target)
            )
            .values_list("region_code", "unit_id", "tier", "yellow_at", "deadline")
        )
        lt: dict[tuple, int] = {}
        n = 0
        for code, unit, tier, yellow, deadline in rows.iterator(chunk_size=2000):
            n += 1
            kinds = [LateCount.YELLOW] if yellow is not None and old <= yellow < target else []
            if deadline is not None and old <= deadline < target:
                kinds.append(LateCount.DEADLINE)
            for p in prefixes(code):
                if len(p) > DAY_PREFIX_MAX:
                    break
                for kind in kinds:
                    k = (p, kind, unit, tier)
                    lt[k] = lt.get(k, 0) + 1
        _upsert(LateCount, LATE_COLS, lt)
        mark.value = int(target.timestamp())
        mark.save(update_fields=["value"])
    return n, done


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
    if connection.vendor == "postgresql":
        # one statement of column arrays, in the sorted order (locks taken in one order
        # by every writer): no VALUES list of 1,500 placeholders parsed per 300 keys
        from jiceng.cases.bulksql import pg_types

        types = [t.split("(")[0] for t in pg_types(model, cols)]
        arrays: list[list[Any]] = [[] for _ in cols]
        for key, _d in rows:
            for j, v in enumerate(key):
                arrays[j].append(v)
        args = ", ".join(f"%s::{t}[]" for t in types)
        with connection.cursor() as cur:
            cur.execute(
                f"INSERT INTO {table} ({qcols}, n) SELECT * FROM unnest({args}, %s::integer[]) "
                f"ON CONFLICT ({conflict}) DO UPDATE SET n = {table}.n + excluded.n",
                [*arrays, [d for _k, d in rows]],
            )
        return
    with connection.cursor() as cur:
        for i in range(0, len(rows), 300):
            chunk = rows[i : i + 300]
            values = ", ".join(["(" + ", ".join(["%s"] * (len(cols) + 1)) + ")"] * len(chunk))
            params: list[Any] = []
            for key, d in chunk:
                params.extend(
                    connection.ops.adapt_datetimefield_value(v) if isinstance(v, datetime) else v
                    for v in key
                )
                params.append(d)
            cur.execute(
                f"INSERT INTO {table} ({qcols}, n) VALUES {values} "
                f"ON CONFLICT ({conflict}) DO UPDATE SET n = {table}.n + excluded.n",
                params,
            )


STATUS_COLS = ("region_code", "unit_id", "tier", "status")
DAY_COLS = ("region_code", "day", "kind", "key")
LATE_COLS = ("region_code", "kind", "unit_id", "tier")


def apply_cases(
    ids: Iterable[int],
    *,
    announce: bool = True,
    now: datetime | None = None,
    written: dict[int, CaseFacts] | None = None,
) -> int:
    """Bring the rollups in line with these cases' current state. Returns how many cases
    changed their contribution. Announces new cases, alarms and state changes to the walls
    (LiveEvent + pub/sub after commit) unless `announce` is False. `written`: the facts of
    some of these cases just inserted (no Tally row can exist for them), used instead of
    reading those cases and their Tally rows (the others are read); a concurrent insert
    of the same Tally is retried the long way for the whole batch."""
    ids = sorted(set(ids))
    if not ids:
        return 0
    for attempt in range(3):
        try:
            return _apply(ids, announce, now or timezone.now(), written if attempt == 0 else None)
        except IntegrityError:
            # two processes inserted the first Tally of the same new case: the retry
            # finds the row and applies the difference against it
            if attempt == 2:
                raise
    return 0


def _apply(
    ids: list[int], announce: bool, now: datetime, written: dict[int, CaseFacts] | None = None
) -> int:
    changed = 0
    with transaction.atomic():
        # first the late mark, shared: an advance waits for this transaction (or this
        # one for it), so both contributions below are counted against the same mark
        mark = late_mark(share=True)
        # cases just inserted come with their facts (no Tally row can exist for them: if
        # one does, the insert below fails and the retry reads everything); the others are
        # read, their Tally rows locked first
        known = {i: written[i] for i in ids if written and i in written}
        rest = [i for i in ids if i not in known]
        old: dict[int, Tally] = {}
        new: dict[int, CaseFacts] = {}
        if rest:
            old = {t.case_id: t for t in Tally.objects.select_for_update().filter(case_id__in=rest)}
            new = facts.case_facts(rest)
        new.update(known)
        st: dict[tuple, int] = {}
        dy: dict[tuple, int] = {}
        lt: dict[tuple, int] = {}
        events: list[LiveEvent] = []
        inserts: list[Tally] = []
        gone: list[int] = []
        for cid in ids:
            before = _tally_facts(old[cid]) if cid in old else None
            after = new.get(cid)
            if before == after:
                continue
            changed += 1
            if before is not None:
                add(st, dy, before, -1)
                add_late(lt, before, -1, mark)
            if after is not None:
                add(st, dy, after, 1)
                add_late(lt, after, 1, mark)
            if after is None:
                gone.append(cid)
            elif before is None:
                inserts.append(_tally(after))  # one insert for the batch, below
            else:
                _tally(after).save(force_update=True)
            if announce and after is not None:
                events.extend(_announce(before, after, now))
        if gone:
            Tally.objects.filter(case_id__in=gone).delete()
        if inserts:
            Tally.objects.bulk_create(inserts)
        _upsert(StatusCount, STATUS_COLS, st)
        _upsert(DayCount, DAY_COLS, dy)
        _upsert(LateCount, LATE_COLS, lt)
        if events:
            LiveEvent.objects.bulk_create(events)
            live.publish_in_transaction([e.pk for e in events if e.pk])
    return changed


def _announce(
    before: CaseFacts | None, after: CaseFacts, now: datetime, *, move: bool = False
) -> list[LiveEvent]:
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
    if not move and before is None and now - after["created_at"] <= ANNOUNCE_WITHIN:
        kind = LiveEvent.ALARM if after["channel"] == facts.ALARM else LiveEvent.NEW
    else:
        kind = LiveEvent.MOVE
    return [LiveEvent(at=now, kind=kind, region_code=after["region_code"], data=data)]


def on_case_changed(sender=None, case=None, events=(), **_kw) -> None:
    """Receiver of `jiceng.cases.services.case_changed` (after commit, once per case and
    transaction with all its `events`): queues the case for the rollups, applied in
    batches off the request's thread (`rollup_queue`, decision 0075). A failure here must
    never reach the user who made the move: the catch-up repairs it later."""
    if case is None or case.pk is None or _kw.get("batch"):
        return  # a worker batch: `on_cases_changed` applied it whole
    from jiceng.command import rollup_queue

    try:
        if events and events[0].move == "report":
            # a case just taken in: no Tally yet, and the instance is the row as written —
            # no reads on the hottest path (intake)
            rollup_queue.enqueue(case.pk, facts.facts_of(case))
        else:
            rollup_queue.enqueue(case.pk)
    except Exception:  # noqa: BLE001 — the move is committed; the catch-up repairs
        log.exception("command rollup failed for case %s", case.pk)


def on_cases_changed(sender=None, case_ids=(), placed=None, **_kw) -> None:
    """Receiver of `cases_changed` (a worker batch, after commit): one pass for all. With
    `placed` (the worker's cards) only the cases whose unit and tier moved are applied,
    the card-only path (`apply_places`); the others changed nothing counted here."""
    try:
        if placed is not None:
            apply_places(placed)
        else:
            apply_cases(case_ids)
    except Exception:  # noqa: BLE001 — committed already; the catch-up repairs
        log.exception("command rollup failed for a batch of %s cases", len(case_ids))


_PLACE_COLS = (
    "case_id",
    "region_code",
    "unit_id",
    "tier",
    "status",
    "is_open",
    "yellow_at",
    "deadline",
    "number",
    "title",
    "channel",
    "urgency",
    "created_at",
)


def apply_places(
    placed: dict[int, tuple[int, int]], *, announce: bool = True, now: datetime | None = None
) -> int:
    """The card-only path (decision 0080): the worker's cards changed, of what the rollups
    count, only the unit and tier of the cases in `placed` ({case id: (unit id, tier)}, a
    grid's red card moved up to its community). Moves their StatusCount and LateCount keys
    and their Tally rows with one upsert per table and one UPDATE per (unit, tier) — no
    case is read and no other Tally field is rewritten. The result is what `apply_cases`
    gives for those cases when the Tally rows were current (tested against the rebuild).
    A case without a Tally row (rollups never built for it) goes the long way. Announces
    each moved case to the walls as `apply_cases` does. Returns the cases moved."""
    if not placed:
        return 0
    now = now or timezone.now()
    ids = sorted(placed)
    missing: list[int] = []
    moved = 0
    with transaction.atomic():
        mark = late_mark(share=True)
        # locked before anything is read (as `apply_cases`): a concurrent apply of the
        # same case waits and then reads what this one wrote
        rows = {
            r[0]: dict(zip(_PLACE_COLS, r, strict=True))
            for r in Tally.objects.select_for_update()
            .filter(case_id__in=ids)
            .order_by("case_id")
            .values_list(*_PLACE_COLS)
        }
        st: dict[tuple, int] = {}
        lt: dict[tuple, int] = {}
        groups: dict[tuple[int, int], list[int]] = {}
        events: list[LiveEvent] = []
        for cid in ids:
            t = rows.get(cid)
            if t is None:
                missing.append(cid)
                continue
            unit, tier = placed[cid]
            if (t["unit_id"], t["tier"]) == (unit, tier):
                continue  # applied already (a repeat, or the catch-up came first)
            moved += 1
            _add_status(st, t, -1)
            add_late(lt, t, -1, mark)  # type: ignore[arg-type]
            t["unit_id"], t["tier"] = unit, tier
            _add_status(st, t, 1)
            add_late(lt, t, 1, mark)  # type: ignore[arg-type]
            groups.setdefault((unit, tier), []).append(cid)
            if announce:
                events.extend(_announce(None, _place_facts(t), now, move=True))
        _move_tallies(groups)
        _upsert(StatusCount, STATUS_COLS, st)
        _upsert(LateCount, LATE_COLS, lt)
        if events:
            LiveEvent.objects.bulk_create(events)
            live.publish_in_transaction([e.pk for e in events if e.pk])
    if missing:
        moved += apply_cases(missing, announce=announce, now=now)
    return moved


def _move_tallies(groups: dict[tuple[int, int], list[int]]) -> None:
    """Tally rows to their new (unit, tier): one UPDATE per (unit, tier); on PostgreSQL
    one UPDATE … FROM unnest for all (a catch-up's escalations go to hundreds of
    communities)."""
    if connection.vendor != "postgresql":
        for (unit, tier), cids in groups.items():
            Tally.objects.filter(case_id__in=cids).update(unit_id=unit, tier=tier)
        return
    ids, units, tiers = [], [], []
    for (unit, tier), cids in groups.items():
        for cid in cids:
            ids.append(cid)
            units.append(unit)
            tiers.append(tier)
    if not ids:
        return
    table = connection.ops.quote_name(Tally._meta.db_table)
    with connection.cursor() as cur:
        cur.execute(
            f"UPDATE {table} AS t SET unit_id = m.unit, tier = m.tier "
            "FROM unnest(%s::bigint[], %s::bigint[], %s::smallint[]) AS m(id, unit, tier) "
            "WHERE t.case_id = m.id",
            [ids, units, tiers],
        )


def _add_status(st: dict, t: dict[str, Any], sign: int) -> None:
    """A case's StatusCount keys (the status part of `add`: unit and tier are in them)."""
    k: tuple
    for p in prefixes(t["region_code"]):
        if len(p) > DAY_PREFIX_MAX and not t["is_open"]:
            continue
        k = (p, t["unit_id"], t["tier"], t["status"])
        st[k] = st.get(k, 0) + sign


def _place_facts(t: dict[str, Any]) -> CaseFacts:
    """What `_announce` reads of a case, from its Tally row."""
    return t  # type: ignore[return-value]


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
    advance_late()
    return changed


def reconcile(now: datetime | None = None) -> dict[str, int]:
    """Rebuild every rollup from the cases (in one transaction, set-based: one
    `INSERT … SELECT` of the cases' facts into Tally, then one `GROUP BY` per prefix length
    and figure) and move the watermark to the end of the history; the late mark goes to
    `now`'s hour (default: the clock's; the benchmark's county lives at its anchor).
    Returns {'cases': n, 'status_rows': n, 'day_rows': n, 'late_rows': n}."""
    with transaction.atomic():
        mark, _ = SyncMark.objects.select_for_update().get_or_create(name=MARK)
        last = facts.last_event_id()
        for model in (Tally, StatusCount, DayCount):
            _empty(model)
        cols, select, params = facts.tally_select()
        out = {"cases": 0, "status_rows": 0, "day_rows": 0, "late_rows": 0}
        q = connection.ops.quote_name
        tally, status_t, day_t = (q(m._meta.db_table) for m in (Tally, StatusCount, DayCount))
        with connection.cursor() as cur:
            cur.execute(f"INSERT INTO {tally} ({', '.join(q(c) for c in cols)}) {select}", params)
            out["cases"] = cur.rowcount
            cur.execute(f"SELECT DISTINCT length(region_code) FROM {tally}")
            lengths = [int(r[0]) for r in cur.fetchall()]

            def run(key: str, sql: str, args: tuple = ()) -> None:
                cur.execute(sql, args)
                out[key] += cur.rowcount

            for n, lens in prefix_lengths(lengths):
                pre = f"substr(region_code, 1, {n})"
                where = f"length(region_code) IN ({', '.join(map(str, lens))})"
                if n > DAY_PREFIX_MAX:
                    # grids: open cases only, no day or late rows (see `add`)
                    run(
                        "status_rows",
                        f"INSERT INTO {status_t} (region_code, unit_id, tier, status, n) "
                        f"SELECT {pre}, unit_id, tier, status, COUNT(*) FROM {tally} "
                        f"WHERE {where} AND is_open = %s GROUP BY 1, 2, 3, 4",
                        (True,),
                    )
                    continue
                run(
                    "status_rows",
                    f"INSERT INTO {status_t} (region_code, unit_id, tier, status, n) "
                    f"SELECT {pre}, unit_id, tier, status, COUNT(*) FROM {tally} "
                    f"WHERE {where} GROUP BY 1, 2, 3, 4",
                )
                for kind, day, key, cond in (
                    (DayCount.CHANNEL, "created_day", "channel", ""),
                    (DayCount.CATEGORY, "created_day", "CAST(category_id AS TEXT)", ""),
                    (
                        DayCount.CLOSED_TIER,
                        "closed_day",
                        "CAST(closed_tier AS TEXT)",
                        " AND closed_day IS NOT NULL",
                    ),
                ):
                    run(
                        "day_rows",
                        f"INSERT INTO {day_t} (region_code, day, kind, {q('key')}, n) "
                        f"SELECT {pre}, {day}, %s, {key}, COUNT(*) FROM {tally} "
                        f"WHERE {where}{cond} GROUP BY 1, 2, 4",
                        (kind,),
                    )
        out["late_rows"] = rebuild_late(now)
        mark.value = max(mark.value, last)
        mark.save(update_fields=["value"])
    return out


def _late_inserts(n: int, lens: list[int], mark: datetime) -> list[tuple[str, tuple]]:
    """The LateCount rows of prefix length `n` from Tally (see `add_late`)."""
    q = connection.ops.quote_name
    tally, late_t = q(Tally._meta.db_table), q(LateCount._meta.db_table)
    at = connection.ops.adapt_datetimefield_value(mark)
    return [
        (
            f"INSERT INTO {late_t} (region_code, kind, unit_id, tier, n) "
            f"SELECT substr(region_code, 1, {n}), %s, unit_id, tier, COUNT(*) FROM {tally} "
            f"WHERE length(region_code) IN ({', '.join(map(str, lens))}) "
            f"AND yellow_at IS NOT NULL AND deadline IS NOT NULL AND {col} < %s "
            "GROUP BY 1, 3, 4",
            (kind, at),
        )
        for kind, col in ((LateCount.YELLOW, "yellow_at"), (LateCount.DEADLINE, "deadline"))
    ]


def rebuild_late(at: datetime | None = None) -> int:
    """Refill LateCount from Tally with the late mark at the start of `at`'s hour (the
    migration that added it; `reconcile` does the same as part of the whole). Tally rows
    from before get the yellow line's rules of `facts._yellow_line` first. Returns the
    rows written."""
    q = connection.ops.quote_name
    tally = q(Tally._meta.db_table)
    target = hour_of(at or timezone.now())
    rows = 0
    with transaction.atomic():
        mark, _ = SyncMark.objects.select_for_update().get_or_create(name=LATE_MARK)
        _empty(LateCount)
        with connection.cursor() as cur:
            cur.execute(f"UPDATE {tally} SET yellow_at = NULL WHERE deadline IS NULL")
            cur.execute(f"UPDATE {tally} SET yellow_at = deadline WHERE yellow_at > deadline")
            cur.execute(f"SELECT DISTINCT length(region_code) FROM {tally}")
            for n, lens in prefix_lengths(int(r[0]) for r in cur.fetchall()):
                if n <= DAY_PREFIX_MAX:
                    for sql, args in _late_inserts(n, lens, target):
                        cur.execute(sql, args)
                        rows += cur.rowcount
        mark.value = int(target.timestamp())
        mark.save(update_fields=["value"])
    return rows


def prefix_lengths(lengths: Iterable[int]) -> list[tuple[int, list[int]]]:
    """For the code lengths present, each prefix length a scope can have and the code
    lengths that count under it (the rules of `prefixes`, in SQL terms)."""
    under: dict[int, set[int]] = {}
    for n in set(lengths):
        for p in prefixes("0" * n):
            under.setdefault(len(p), set()).add(n)
    return [(n, sorted(under[n])) for n in sorted(under)]


def _empty(model) -> None:
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute(f"TRUNCATE {table}")
        else:
            cur.execute(f"DELETE FROM {table}")
