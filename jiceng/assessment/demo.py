"""Demo county, assessment part: last month's cases driven through the case loop (the
services, never raw rows), a few exclusions, dispatch ratings, report-in ratings and grid
scorecard items; then last month is published so the district user opens a frozen ranking.

Each street gets its own pace (how often late, unsatisfied, reworked) so the ranks differ.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from django.utils import timezone

from jiceng.accounts.models import Unit, UnitKind, User
from jiceng.assessment import facts, rankings, rollup, services
from jiceng.assessment.metrics import ensure_defaults
from jiceng.assessment.models import ManualScore, ManualScoreApproval, ScoreItem
from jiceng.assessment.periods import month_of
from jiceng.cases import services as cases
from jiceng.cases.demo import TEXTS as CASE_TEXTS
from jiceng.cases.models import Category, Status
from jiceng.territory.models import Level, Region

RESULTS = ["已安排人员现场处理完毕", "已协调相关单位整改到位", "已维修并回访诉求人"]


def _bot() -> User:
    u = User.objects.filter(is_superuser=True).order_by("id").first()
    if u is None:
        u = User.objects.create(username="assessment-demo-bot", is_superuser=True, full_name="系统")
    return u


def build(ctx) -> None:
    t0 = time.perf_counter()
    rng = ctx.child_rng("assessment")
    county = ctx.county_code
    ensure_defaults()  # `jiceng demo --reset` flushes the migration's rows too
    bot = _bot()
    district = User.objects.filter(username="district").first()
    street_user = User.objects.filter(username="street").first()
    dept_user = User.objects.filter(username="dept").first()
    leaves = [c for c in Category.objects.filter(active=True, children__isnull=True)
              if c.limit_amount and not any(f.get("required") for f in c.extra_fields)]  # fmt: skip
    grids = list(
        Region.objects.filter(code__under=county, level=Level.GRID)
        .order_by("-grid_level", "code")
        .values_list("code", "grid_level")
    )
    if not leaves or not grids:
        ctx.say("  考核：没有诉求分类或网格，跳过")
        return
    by_code = {c.code: c for c in leaves}
    matched = [(by_code[code], rtype, text) for code, rtype, _title, text in CASE_TEXTS
               if code in by_code]  # fmt: skip
    if not matched:  # a county's own tree without the demo's codes: the leaf's own name
        matched = [(c, "complaint", f"{{place}}{c.name}，请尽快处理。") for c in leaves]
    deepest = grids[0][1]
    places = [c for c, lvl in grids if lvl == deepest]
    names = {
        c: n.replace("网格", "")
        for c, n in Region.objects.filter(code__in=places).values_list("code", "name")
    }
    streets = sorted({p[:9] for p in places})
    quality = {s: rng.uniform(0.55, 0.97) for s in streets}
    depts = list(Unit.objects.filter(kind=UnitKind.DEPARTMENT, code__startswith=county))
    span = month_of(timezone.localdate().replace(day=1) - timedelta(days=1))
    before = span.previous()  # a thinner month before, so the change shows
    tz = timezone.get_current_timezone()
    n = max(60, int(260 * ctx.scale))
    made: list = []
    for i in range(n + n // 2):
        if i == n:
            span, before = before, span
        place = rng.choice(places)
        q = quality[place[:9]]
        day = span.start + timedelta(days=rng.randrange(span.days))
        at = datetime(day.year, day.month, day.day, rng.randint(8, 17), rng.randint(0, 59),
                      tzinfo=tz)  # fmt: skip
        # a text that belongs to its category: the county's classifier learns from these
        # closed cases (a random pairing taught it 井盖缺失 → 环境卫生; new-user trial)
        cat, rtype, text = rng.choice(matched)
        case = cases.intake(channel="hotline", request_type=rtype, category=cat,
                            description=text.format(place=names.get(place, "小区")),
                            region_code=place, reporter_name="张先生",
                            reporter_phone=f"139{rng.randrange(10**8):08d}", user=bot,
                            now=at)  # fmt: skip
        made.append(_drive(case, at, q, rng, bot, depts))
    _two_way(made, rng, bot, street_user, dept_user)
    _exclusions(made, district or bot)
    facts.refresh([c.pk for c in made])
    rollup.refresh_dirty()
    span = before  # the last month again
    _scorecards(county, span.start, rng)
    if district is not None:
        rankings.publish(district, span, "月度考核结果（演示）")
    ctx.say(f"  考核：{span.label} 诉求 {len(made)} 件，已发布排名，用时 "
            f"{time.perf_counter() - t0:.1f} 秒")  # fmt: skip


class _Later(Exception):
    """The case's next move would come after the demo's clock: it stays where it is."""


def _drive(case, at, q, rng, bot, depts):
    """Through the loop with times drawn for this street's quality `q` (0..1); a move that
    would come after now is not made (built on the 1st, last month's late cases are still
    in hand, not closed next week)."""
    t = at
    now = timezone.now()

    def step(move, minutes, **kw):
        nonlocal t, case
        t = t + timedelta(minutes=minutes)
        if t > now:
            raise _Later
        case = cases.transition(case, move, user=bot, now=t, **kw)

    try:
        unit = None if case.category and case.category.handling_unit else rng.choice(depts)
        step("dispatch", rng.uniform(5, 40), unit=unit.code if unit else None)
        if rng.random() < 0.05:
            return case  # still waiting to be accepted
        step("accept", rng.uniform(10, 60 * (36 if rng.random() > q else 6)))
        if rng.random() < 0.15 and len(depts) > 1 and t + timedelta(hours=31) <= now:
            _whistle(case, t, rng, bot, depts)
        if rng.random() < 0.08:
            step("request_pause", 60, reason="需等待配套工程完工", days=5)
            step("approve_pause", 60)
            if rng.random() < 0.6:
                return case  # still paused
            step("resume", 60 * 24)
        limit = (case.deadline - t).total_seconds() / 60 if case.deadline else 60 * 24 * 5
        late = rng.random() > q
        step("report_handling", max(30, limit * (rng.uniform(1.05, 1.6) if late
                                                else rng.uniform(0.1, 0.8))),
             reason=rng.choice(RESULTS))  # fmt: skip
        if rng.random() > q + 0.1:
            step("rework", 120, reason="现场核查仍未整改到位")
            step("report_handling", 60 * 8, reason="已返工整改完毕")
        step("verify_close", rng.uniform(30, 300))
        if rng.random() < 0.85:
            r = rng.random()
            sat = "satisfied" if r < q else ("basic" if r < q + 0.2 else "unsatisfied")
            step("return_visit", 60 * 24, satisfaction=sat, resolved=sat != "unsatisfied")
            if case.status == Status.HANDLING:
                step("report_handling", 60 * 6, reason="已按回访意见重新处理")
                step("verify_close", 60)
    except (cases.MoveRefused, _Later):
        pass  # a move this case cannot make (yet): it stays where it is, like a real queue
    return case


def _two_way(made, rng, bot, street_user, dept_user) -> None:
    """吹哨报到 on some cases still in hand; streets rate the report-ins; departments rate
    the dispatch of cases sent to them (下对上 both ways)."""
    depts = list(Unit.objects.filter(kind=UnitKind.DEPARTMENT)[:4])
    for case in made:
        if rng.random() > 0.3 or not depts:
            continue
        if case.unit_id is None:
            continue
        rater = dept_user if dept_user and dept_user.unit_id == case.unit_id else None
        if rater is not None:
            services.rate_dispatch(rater, case.number, rng.choice([3, 4, 4, 5, 5]),
                                   "派单准确，要求清楚")  # fmt: skip
        else:
            from jiceng.assessment.models import DispatchRating

            at = min(case.created_at + timedelta(days=1), timezone.now())  # never after now
            DispatchRating.objects.create(number=case.number, unit_id=case.unit_id,
                                          rating=rng.choice([2, 3, 4, 5]), note="演示评价",
                                          by=bot, at=at)  # fmt: skip


def _whistle(case, at, rng, bot, depts) -> None:
    """The street summons two departments; each reports in (some late) and is rated."""
    called = rng.sample(depts, k=2)
    cases.transition(case, "whistle", user=bot, reason="需多部门联合处置",
                     units=[u.code for u in called], limit_hours=24, now=at)  # fmt: skip
    for i, u in enumerate(called):
        late = rng.random() < 0.3
        cases.transition(case, "report_in", user=bot, unit=u.code, reason="已到场处置",
                         now=at + timedelta(hours=30 if late else 3 + i))  # fmt: skip
        cases.transition(case, "rate_report_in", user=bot, unit=u.code,
                         rating=rng.choice([3, 4, 5]) - (1 if late else 0),
                         reason="到场及时，配合良好", now=at + timedelta(hours=31))  # fmt: skip


def _exclusions(made, user) -> None:
    closed = [c for c in made if c.status == Status.CLOSED]
    for case, reason, note in zip(
        closed[:3],
        ["litigation", "petition", "duplicate"],
        ["（2026）陕0921民初88号", "信访件 HY-2026-031", "与同日来电重复"],
        strict=False,
    ):
        from jiceng.assessment.models import ExclusionMark

        ExclusionMark.objects.create(number=case.number, reason=reason, note=note, by=user,
                                     at=timezone.now())  # fmt: skip


def _scorecards(county: str, month, rng) -> None:
    community = User.objects.filter(username="community").first()
    street = User.objects.filter(username="street").first()
    if community is None or street is None or not community.scope_code:
        return
    grid = Region.objects.filter(code__under=community.scope_code, level=Level.GRID).order_by(
        "-grid_level", "code").first()  # fmt: skip
    items = {i.code: i for i in ScoreItem.objects.filter(fact="")}
    if grid is None or "meeting" not in items:
        return
    now = timezone.now()
    a = ManualScore.objects.create(grid_code=grid.code, month=month, item=items["meeting"],
                                   times=2, evidence="10月网格例会记录第12、13号", by=community,
                                   at=now)  # fmt: skip
    ManualScoreApproval.objects.create(entry=a, approved=True, by=street, at=now, note="属实")
    ManualScore.objects.create(grid_code=grid.code, month=month, item=items["good_deed"],
                               times=1, evidence="帮助独居老人就医，有照片和感谢信", by=community,
                               at=now)  # fmt: skip
