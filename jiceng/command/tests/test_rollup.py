"""The rollups equal a full count of the cases after any series of moves."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from jiceng.cases import services
from jiceng.cases.models import Case
from jiceng.cases.workflow import WATCHED_STATES
from jiceng.command import facts, rollup, wall
from jiceng.command.models import DayCount, LateCount, StatusCount, Tally
from jiceng.command.tests.conftest import IN_GRID3A, IN_TOWN2
from jiceng.testing import make_user

pytestmark = pytest.mark.django_db

CHANNELS = ["hotline", "web", "grid", "alarm", "app"]


def _wall_view(user, prefix, now):
    s = wall.summary(user, now)
    closed_by_tier: dict[int, int] = {}
    for key, n in DayCount.objects.filter(
        region_code=prefix, kind=DayCount.CLOSED_TIER
    ).values_list("key", "n"):
        closed_by_tier[int(key)] = closed_by_tier.get(int(key), 0) + n
    return {
        "by_status": s["by_status"],
        "open_by_tier": {t["tier"]: t["open"] for t in s["by_tier"] if t["open"]},
        "red": s["red"],
        "yellow": s["yellow"],
        "today_new": s["today_new"],
        "today_closed": s["today_closed"],
        "closed_by_tier": {k: v for k, v in closed_by_tier.items() if v},
        "late_by_tier": {
            t["tier"]: (t["yellow"], t["red"]) for t in s["by_tier"] if t["yellow"] or t["red"]
        },
    }


def _full(prefix, now):
    f = facts.full_counts(prefix, now)
    f["open_by_tier"] = {k: v for k, v in f["open_by_tier"].items() if v}
    # yellow and red per tier, counted from the cases (the worker's rule)
    watched = Case.objects.filter(status__in=sorted(WATCHED_STATES), deadline__isnull=False)
    if prefix:
        watched = watched.filter(region_code__startswith=prefix)
    late: dict[int, list[int]] = {}
    for tier, yellow_at, deadline in watched.values_list("tier", "yellow_at", "deadline"):
        y = (yellow_at or deadline) <= now <= deadline
        r = deadline < now
        if y or r:
            d = late.setdefault(tier, [0, 0])
            d[0] += y
            d[1] += r
    f["late_by_tier"] = {t: tuple(v) for t, v in late.items()}
    return f


def _rollup_rows():
    """Every non-zero rollup row (to compare the kept rollups with a rebuild)."""
    return {
        "tally": set(Tally.objects.values_list()),
        "status": set(StatusCount.objects.filter(n__gt=0).values_list(*rollup.STATUS_COLS, "n")),
        "day": set(DayCount.objects.filter(n__gt=0).values_list(*rollup.DAY_COLS, "n")),
        "late": set(LateCount.objects.filter(n__gt=0).values_list(*rollup.LATE_COLS, "n")),
    }


def _random_series(rng, users, units, cats, intake, move, n_cases=25, n_moves=400):
    """Cases from every channel in two towns, then random moves made by an admin."""
    admin = make_user("root", "district_admin", None, is_superuser=True)
    now = timezone.now()
    cases = []
    for _ in range(n_cases):
        where = IN_GRID3A if rng.random() < 0.7 else IN_TOWN2
        ch = rng.choice(CHANNELS)
        user = users.grid_worker if ch in ("grid", "alarm") else users.street
        if ch == "web":
            user = None
        cases.append(
            intake(
                channel=ch,
                category=rng.choice([cats.road, cats.litter, None]),
                lon=where[0],
                lat=where[1],
                user=user,
                now=now
                - (
                    timedelta(minutes=rng.randint(1, 30))
                    if rng.random() < 0.3
                    else timedelta(days=rng.randint(0, 6), hours=rng.randint(0, 20))
                ),
            )
        )
    moves = [
        ("register", {}),
        ("dispatch", {"unit": units.dept}),
        ("accept", {}),
        ("report_handling", {"result": "已处理完毕"}),
        ("verify_close", {}),
        ("rework", {}),
        ("close_on_spot", {"result": "现场处理"}),
        ("archive", {}),
        ("reopen", {}),
        ("escalate", {}),
        ("cancel", {}),
        ("return", {}),
        ("redispatch", {"unit": units.town1}),
        ("request_pause", {"days": 2}),
        ("approve_pause", {}),
        ("resume", {}),
    ]
    made = 0
    for _ in range(n_moves):
        case = rng.choice(cases)
        # cancelling ends a case for good: rarely, so that the series keeps moving
        name, kw = rng.choices(moves, weights=[1 if m == "cancel" else 6 for m, _ in moves])[0]
        try:
            move(case, name, admin, reason="随机测试", **kw)
            made += 1
        except services.MoveRefused:
            continue
    return admin, made


def test_rollup_counts_equal_a_full_count_after_random_moves(
    territory, users, units, cats, intake, move
):
    rng = random.Random(12)
    # the late mark three days back: the moves count against it, the walls read across it
    rollup.rebuild_late(timezone.now() - timedelta(days=3))
    admin, made = _random_series(rng, users, units, cats, intake, move)
    assert made > 40  # the series really moved cases around
    full = _full("610921", timezone.now() + timedelta(days=2))
    # every kind of figure is exercised, not a wall of zeros
    assert full["red"] and full["closed_by_tier"] and full["open_by_tier"]
    hours = [timezone.now() + timedelta(hours=h) for h in range(0, 72, 4)]
    assert any(_full("610921", at)["yellow"] for at in hours)
    assert sum(1 for n in full["by_status"].values() if n) >= 5
    now = timezone.now()
    district, street, other = users.district, users.street, users.other_street
    # the deadlines and yellow lines themselves, a second either side, and the hour
    # boundaries around them: where the buckets meet the current hour's rows
    lines: list[datetime] = sorted(
        t
        for row in Tally.objects.filter(yellow_at__isnull=False).values_list(
            "yellow_at", "deadline"
        )
        for t in row
        if t is not None
    )
    assert len(lines) >= 10
    edges: list[datetime] = []
    for t in lines[:: max(1, len(lines) // 6)]:
        h = rollup.hour_of(t)
        edges += [
            t,
            t - timedelta(seconds=1),
            t + timedelta(seconds=1),
            h,
            h - timedelta(microseconds=1),
        ]
    ats = [now + timedelta(hours=h) for h in (0, 5, 30, 48, 192)] + edges
    for user, prefix in ((district, "610921"), (street, "610921001"), (other, "610921002")):
        for at in ats:
            got, want = _wall_view(user, prefix, at), _full(prefix, at)
            if at < now:  # a past instant: only the late figures are defined for it
                got, want = (
                    {k: d[k] for k in ("red", "yellow", "late_by_tier")} for d in (got, want)
                )
            assert got == want, (prefix, at)
    # a superuser's wall is the whole installation
    assert _wall_view(admin, "", now) == _full("", now)
    # a grid's scope counts its Tally rows directly: same figures
    grid = territory.grid3a.code
    for at in ats[:8]:
        got = wall.late_counts(grid, at)
        want = _full(grid, at)["late_by_tier"]
        by_tier: dict[int, list[int]] = {}
        for (_unit, tier), (y, r) in got.items():
            d = by_tier.setdefault(tier, [0, 0])
            d[0] += y
            d[1] += r
        assert {t: tuple(v) for t, v in by_tier.items() if any(v)} == want, at
    # the mark moves up to this hour (the catch-up does it): the figures stay the same
    assert rollup.late_mark() < rollup.hour_of(now)
    before = {at: _wall_view(district, "610921", at) for at in ats[:6]}
    assert rollup.advance_late(now) > 0
    assert rollup.late_mark() == rollup.hour_of(now)
    assert {at: _wall_view(district, "610921", at) for at in ats[:6]} == before
    # the set-based rebuild writes exactly the rows the moves kept
    kept = _rollup_rows()
    assert kept["late"] and kept["day"]
    rollup.reconcile()  # (its mark: this hour, as advanced above)
    assert _rollup_rows() == kept


def test_the_catch_up_follows_moves_that_send_no_signal_and_reconcile_rebuilds(
    territory, users, units, cats, intake, move
):
    from jiceng.cases import worker

    rng = random.Random(3)
    _random_series(rng, users, units, cats, intake, move, n_cases=15, n_moves=60)
    later = timezone.now() + timedelta(days=9)
    # the worker's red cards escalate grid cases to the community without a signal
    worker.run_pass(now=later, send=False)
    prefix = "610921"
    rollup.catch_up()
    assert _wall_view(users.district, prefix, later) == _full(prefix, later)
    # break the rollups on purpose, then rebuild them from the cases
    StatusCount.objects.update(n=0)
    Tally.objects.filter(pk__in=list(Tally.objects.values_list("pk", flat=True)[:3])).delete()
    assert _wall_view(users.district, prefix, later) != _full(prefix, later)
    out = rollup.reconcile()
    assert out["cases"] == Case.objects.count() >= 15
    assert _wall_view(users.district, prefix, later) == _full(prefix, later)
    # applying a case again changes nothing
    assert rollup.apply_cases(Tally.objects.values_list("pk", flat=True)) == 0


@pytest.mark.parametrize(
    "code,expected",
    [
        ("", [""]),
        ("610921", ["", "61", "6109", "610921"]),
        ("610921001", ["", "61", "6109", "610921", "610921001"]),
        (
            "610921001001001001",
            [
                "",
                "61",
                "6109",
                "610921",
                "610921001",
                "610921001001",
                "610921001001001",
                "610921001001001001",
            ],
        ),
    ],
)
def test_prefixes_are_every_scope_that_contains_a_code(code, expected):
    assert list(rollup.prefixes(code)) == expected
